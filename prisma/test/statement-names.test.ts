import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createStatementNames } from '../src/statement-names.ts';

describe('createStatementNames', () => {
  it('gives the same SQL the same name and different SQL different names, up to max texts, then none', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 40 }),
        (texts, max) => {
          const nameOf = createStatementNames(max);
          const names = texts.map((sql) => nameOf({ sql }));
          const named = names.slice(0, max);
          expect(named.every((name) => /^tessera_[\w-]{24}$/.test(name))).toBe(true);
          expect(new Set(named).size).toBe(named.length);
          expect(names.slice(max).every((name) => name === '')).toBe(true);
          // Asked again, a named text keeps its name, even once the limit is reached.
          texts.slice(0, max).forEach((sql, i) => expect(nameOf({ sql })).toBe(names[i]));
        },
      ),
    );
  });
});
