/**
 * What a database failure reads as, from the errors Prisma 7 and its pg adapter really throw
 * (shapes recorded against PostgreSQL 17 and a closed port): unavailable, or out of time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { databaseFailureCode, isRecoveryConflict } from '../src/prisma-errors.js';

describe('databaseFailureCode', () => {
  it('reads a database that is down, busy or cancelled the statement', () => {
    // new PrismaClient({ adapter }) on a closed port
    expect(
      databaseFailureCode({
        code: 'P1001',
        meta: { driverAdapterError: { cause: { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 9 } } },
      }),
    ).toBe('DATABASE_UNAVAILABLE');
    // statement_timeout
    expect(
      databaseFailureCode({
        code: 'P2010',
        meta: { driverAdapterError: { cause: { originalCode: '57014', kind: 'postgres', code: '57014' } } },
      }),
    ).toBe('DEADLINE_EXCEEDED');
    // pg-pool's acquire timeout (a plain Error)
    expect(databaseFailureCode(new Error('timeout exceeded when trying to connect'))).toBe('DATABASE_UNAVAILABLE');
    // $transaction whose maxWait passed
    expect(databaseFailureCode({ code: 'P2028', message: 'Transaction API error: Unable to start a transaction in the given time.' })).toBe(
      'DATABASE_UNAVAILABLE',
    );
    // the server shutting down under a session
    expect(
      databaseFailureCode({ code: 'P2010', meta: { driverAdapterError: { cause: { originalCode: '57P01', kind: 'postgres' } } } }),
    ).toBe('DATABASE_UNAVAILABLE');
    // wrapped one level down
    expect(
      databaseFailureCode(Object.assign(new Error('resolver failed'), { cause: new Error('Connection terminated unexpectedly') })),
    ).toBe('DATABASE_UNAVAILABLE');
  });

  it('leaves everything else to be masked as a bug', () => {
    expect(
      databaseFailureCode({ code: 'P2002', meta: { driverAdapterError: { cause: { kind: 'UniqueConstraintViolation' } } } }),
    ).toBeUndefined();
    expect(databaseFailureCode(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBeUndefined();
    fc.assert(
      fc.property(fc.anything(), (value) => [undefined, 'DATABASE_UNAVAILABLE', 'DEADLINE_EXCEEDED'].includes(databaseFailureCode(value))),
    );
  });
});

describe('isRecoveryConflict', () => {
  it('reads a hot standby cancelling a read for its replay (40001, 40P01), in the shape of the errors above, and nothing else', () => {
    const withSqlstate = (sqlstate: string) => ({
      code: 'P2010',
      meta: { driverAdapterError: { cause: { originalCode: sqlstate, kind: 'postgres' } } },
    });
    expect(isRecoveryConflict(withSqlstate('40001'))).toBe(true);
    expect(isRecoveryConflict(withSqlstate('40P01'))).toBe(true);
    expect(isRecoveryConflict(new Error('wrapped', { cause: withSqlstate('40001') }))).toBe(true);
    for (const other of ['57014', '57P01', '23505', '08006']) expect(isRecoveryConflict(withSqlstate(other)), other).toBe(false);
    fc.assert(fc.property(fc.anything(), (value) => typeof isRecoveryConflict(value) === 'boolean'));
  });
});
