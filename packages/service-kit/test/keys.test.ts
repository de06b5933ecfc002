/** One unambiguous encoding for every key that embeds an identity. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callerPart, composeKey, visibilityPart, type Identity } from '../src/index.js';

/** Text that makes separators hard: spaces, pipes, newlines, quotes, backslashes, JSON-looking pieces. */
const trickyText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: fc.constantFrom('a', ' ', '|', '\n', '"', '\\', ',', '[', ']', ':', 'x'), maxLength: 12 }),
  fc.constantFrom('users:read-email', 'users:read-email x', 'x', '', ' ', '"', '\\"'),
);
const identity: fc.Arbitrary<Identity> = fc.record({
  sub: fc.option(trickyText, { nil: undefined }),
  scopes: fc.array(trickyText, { maxLength: 5 }).map((scopes) => new Set(scopes)),
});

const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>) => a.size === b.size && [...a].every((scope) => b.has(scope));
const sameCaller = (a: Identity, b: Identity) => a.sub === b.sub && sameSet(a.scopes, b.scopes);

describe('composeKey', () => {
  it('tells apart the scopes that a space-joined key confused', () => {
    const a: Identity = { sub: 'u1', scopes: new Set(['users:read-email', 'x']) };
    const b: Identity = { sub: 'u1', scopes: new Set(['users:read-email x']) };
    expect(composeKey([callerPart(a)])).not.toBe(composeKey([callerPart(b)]));
    expect(composeKey([visibilityPart(a)])).not.toBe(composeKey([visibilityPart(b)]));
  });

  it('gives two callers one key exactly when they have the same subject and the same set of scopes', () => {
    fc.assert(
      fc.property(identity, identity, (a, b) => {
        expect(composeKey([callerPart(a)]) === composeKey([callerPart(b)])).toBe(sameCaller(a, b));
      }),
      { numRuns: 2_000 },
    );
  });

  it('gives the same caller the same key whatever order its scopes came in, repeats and all', () => {
    fc.assert(
      fc.property(fc.option(trickyText, { nil: undefined }), fc.array(trickyText, { maxLength: 6 }), fc.nat(), (sub, scopes, seed) => {
        const shuffled = [...scopes, ...scopes.slice(0, 2)].sort((x, y) => ((x.length * 31 + seed) % 7) - ((y.length * 31 + seed) % 7));
        expect(composeKey([callerPart({ sub, scopes: new Set(scopes) })])).toBe(
          composeKey([callerPart({ sub, scopes: new Set(shuffled) })]),
        );
      }),
    );
  });

  it('tells visibility classes apart by sign-in and scope set only, never by subject', () => {
    fc.assert(
      fc.property(identity, identity, (a, b) => {
        const same = (a.sub !== undefined) === (b.sub !== undefined) && sameSet(a.scopes, b.scopes);
        expect(composeKey([visibilityPart(a)]) === composeKey([visibilityPart(b)])).toBe(same);
      }),
      { numRuns: 2_000 },
    );
  });

  it('is injective over lists of parts: no part passes for two, nor two for one', () => {
    const part = fc.oneof(trickyText, fc.integer(), fc.boolean(), fc.constant(null), fc.array(trickyText, { maxLength: 3 }));
    fc.assert(
      fc.property(fc.array(part, { maxLength: 5 }), fc.array(part, { maxLength: 5 }), (a, b) => {
        expect(composeKey(a) === composeKey(b)).toBe(JSON.stringify(a) === JSON.stringify(b));
      }),
      { numRuns: 2_000 },
    );
  });

  it('gives equal objects one key whatever the order of their fields, and is 43 characters long', () => {
    expect(composeKey([{ a: 1, b: [2, { c: 3, d: 4 }] }])).toBe(composeKey([{ b: [2, { d: 4, c: 3 }], a: 1 }]));
    expect(composeKey(['x'.repeat(100_000)])).toHaveLength(43);
  });

  it('throws a RangeError for a value too deep to write, rather than giving it some key', () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => composeKey([deep])).toThrow(RangeError);
  });
});
