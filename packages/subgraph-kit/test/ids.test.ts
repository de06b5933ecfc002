import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isUuid } from '../src/index.js';

describe('isUuid', () => {
  it('accepts every UUID, in either letter case', () => {
    fc.assert(fc.property(fc.uuid(), (id) => isUuid(id) && isUuid(id.toUpperCase())));
  });

  it('rejects anything else', () => {
    fc.assert(fc.property(fc.string(), (value) => isUuid(value) === /^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(value)));
    for (const value of ['', 'not-a-uuid', '0190f000-0000-7000-8000-00000000000', ' 0190f000-0000-7000-8000-000000000000'])
      expect(isUuid(value)).toBe(false);
  });
});
