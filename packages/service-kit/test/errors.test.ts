import { Writable } from 'node:stream';
import { GraphQLError } from 'graphql';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { badUserInput, createFormatError, errorBody, ErrorCode, notFound } from '../src/index.js';

function capturingLogger() {
  const lines: unknown[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({ write: (chunk, _e, done) => (lines.push(JSON.parse(String(chunk)) as unknown), done()) }),
  );
  return { logger, lines };
}

describe('error helpers', () => {
  it('badUserInput names the field; notFound carries what was asked for', () => {
    expect(badUserInput('bad', 'input.rating', { max: 5 }).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.rating', max: 5 });
    expect(notFound('none', { id: 'x' }).extensions).toEqual({ code: 'NOT_FOUND', id: 'x' });
    expect(errorBody('too big', ErrorCode.RequestTooLarge, { maxBytes: 10 })).toEqual({
      errors: [{ message: 'too big', extensions: { code: 'REQUEST_TOO_LARGE', maxBytes: 10 } }],
    });
  });
});

describe('createFormatError', () => {
  it('passes a deliberate error through, without a stack trace', () => {
    const { logger, lines } = capturingLogger();
    const formatted = createFormatError(logger)(
      { message: 'bad', path: ['a'], extensions: { code: 'BAD_USER_INPUT', field: 'x', stacktrace: ['at secret.ts:1'] } },
      badUserInput('bad', 'x'),
    );
    expect(formatted).toEqual({ message: 'bad', path: ['a'], extensions: { code: 'BAD_USER_INPUT', field: 'x' } });
    expect(lines).toEqual([]);
  });

  it('masks anything unexpected and logs it in full', () => {
    const { logger, lines } = capturingLogger();
    const cause = new Error('connection to 10.0.0.5:5432 refused');
    const formatted = createFormatError(logger)(
      {
        message: cause.message,
        path: ['user'],
        locations: [{ line: 1, column: 3 }],
        extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['x'] },
      },
      new GraphQLError(cause.message, { originalError: cause }),
    );
    expect(formatted).toEqual({
      message: 'Internal server error',
      path: ['user'],
      locations: [{ line: 1, column: 3 }],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, path: ['user'], err: { message: 'connection to 10.0.0.5:5432 refused' } });
  });

  it("names an infrastructure failure by its code, with a fixed message, and logs the driver's words only", () => {
    const { logger, lines } = capturingLogger();
    const cause = new Error('connect ECONNREFUSED 10.0.0.5:5432');
    const formatted = createFormatError(logger, {
      classify: (error) => ((error as Error).message.includes('ECONNREFUSED') ? 'DATABASE_UNAVAILABLE' : undefined),
    })(
      { message: cause.message, path: ['users'], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
      new GraphQLError(cause.message, { originalError: cause }),
    );
    expect(formatted).toEqual({
      message: 'The database is unavailable; try again later.',
      path: ['users'],
      extensions: { code: 'DATABASE_UNAVAILABLE' },
    });
    expect(JSON.stringify(formatted)).not.toContain('10.0.0.5');
    expect(lines[0]).toMatchObject({ level: 40, code: 'DATABASE_UNAVAILABLE', err: { message: 'connect ECONNREFUSED 10.0.0.5:5432' } });
  });

  it('logs the cause of UPSTREAM_UNAVAILABLE, which the client gets without it', () => {
    const { logger, lines } = capturingLogger();
    const error = new GraphQLError('Could not check the User.', {
      extensions: { code: 'UPSTREAM_UNAVAILABLE' },
      originalError: new Error('User lookup at http://users:4001 failed'),
    });
    const formatted = createFormatError(logger)({ message: error.message, extensions: { code: 'UPSTREAM_UNAVAILABLE' } }, error);
    expect(formatted).toEqual({ message: 'Could not check the User.', extensions: { code: 'UPSTREAM_UNAVAILABLE' } });
    expect(lines[0]).toMatchObject({ level: 40, msg: 'a service this one depends on did not answer' });
  });

  it('masks an error without a code too', () => {
    const { logger } = capturingLogger();
    expect(createFormatError(logger)({ message: 'TypeError: x is undefined' }, new TypeError('x is undefined')).message).toBe(
      'Internal server error',
    );
  });
});
