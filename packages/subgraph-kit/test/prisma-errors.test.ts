import { describe, expect, it } from 'vitest';
import { isRecordNotFound, uniqueViolationFields, violates } from '../src/index.js';

describe('Prisma error mapping', () => {
  it('reads the violated unique constraint from a driver adapter error, a native one, or the index name', () => {
    expect(
      uniqueViolationFields({ code: 'P2002', meta: { driverAdapterError: { cause: { constraint: { fields: ['email'] } } } } }),
    ).toEqual(['email']);
    expect(
      uniqueViolationFields({ code: 'P2002', meta: { driverAdapterError: { cause: { constraint: { index: 'users_email_key' } } } } }),
    ).toEqual(['users_email_key']);
    expect(uniqueViolationFields({ code: 'P2002', meta: { target: ['sku'] } })).toEqual(['sku']);
    expect(uniqueViolationFields({ code: 'P2002', meta: { target: 'sku' } })).toEqual(['sku']);
    expect(uniqueViolationFields({ code: 'P2025' })).toBeNull();
    expect(uniqueViolationFields(new Error('no code'))).toBeNull();
    expect(uniqueViolationFields(null)).toBeNull();
  });

  it('tells which column a violation is about, by column or by index name', () => {
    expect(violates(['email'], 'email')).toBe(true);
    expect(violates(['users_email_key'], 'email')).toBe(true);
    expect(violates(['users_username_key'], 'email')).toBe(false);
    expect(violates(null, 'email')).toBe(false);
  });

  it('recognises "record to delete does not exist"', () => {
    expect(isRecordNotFound({ code: 'P2025' })).toBe(true);
    expect(isRecordNotFound({ code: 'P2002' })).toBe(false);
    expect(isRecordNotFound('P2025')).toBe(false);
  });
});
