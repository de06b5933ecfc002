/** The caches' pure parts: whose entry is whose, and an _entities fetch split and put back together. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  entityEntry,
  mergeEntities,
  responseEntry,
  rootEntry,
  splitEntities,
  type CachePolicy,
  type FetchResult,
} from '../src/features/cache/index.js';

const PUBLIC: CachePolicy = { maxAge: 60, scope: 'PUBLIC', types: new Set(['Product']), nestedTypes: new Set() };
const PRIVATE: CachePolicy = { maxAge: 60, scope: 'PRIVATE', types: new Set(['User']), nestedTypes: new Set() };
const text = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('a b', 'a', 'b', ' '));
const identity = fc.record({
  sub: fc.option(text, { nil: undefined }),
  scopes: fc.array(text, { maxLength: 3 }).map((scopes) => new Set(scopes)),
});
const sameCaller = (a: { sub?: string; scopes: Set<string> }, b: { sub?: string; scopes: Set<string> }) =>
  a.sub === b.sub && a.scopes.size === b.scopes.size && [...a.scopes].every((s) => b.scopes.has(s));

describe('entity entries', () => {
  it('hang on the entity and on every type nested beneath it', () => {
    const nestedPolicy: CachePolicy = { ...PUBLIC, nestedTypes: new Set(['Review', 'User']) };
    const entry = entityEntry('t:', 'reviews', 'h', { __typename: 'Product', id: 'p1' }, nestedPolicy, { scopes: new Set() });
    expect(entry!.tags).toEqual(
      expect.arrayContaining([
        { kind: 'entity', type: 'Product', id: 'p1' },
        { kind: 'type', type: 'Review' },
        { kind: 'type', type: 'User' },
        { kind: 'flush', type: 'User' },
      ]),
    );
    expect(entityEntry('t:', 'reviews', 'h', { __typename: 'Product', id: 'p1' }, PUBLIC, { scopes: new Set() })!.tags).not.toContainEqual({
      kind: 'type',
      type: 'Review',
    });
  });
});

describe('entries', () => {
  it('never give a private entry to another caller, nor keep one for an anonymous caller', () => {
    fc.assert(
      fc.property(identity, identity, (a, b) => {
        const rep = { __typename: 'User', id: 'u1' };
        const [ea, eb] = [entityEntry('p:', 'users', 'h', rep, PRIVATE, a), entityEntry('p:', 'users', 'h', rep, PRIVATE, b)];
        if (a.sub === undefined) expect(ea).toBeUndefined();
        if (ea && eb) expect(ea.key === eb.key).toBe(sameCaller(a, b));
        const [ra, rb] = [rootEntry('p:', 'users', 'h', {}, PRIVATE, a), rootEntry('p:', 'users', 'h', {}, PRIVATE, b)];
        if (ra && rb) expect(ra.key === rb.key).toBe(sameCaller(a, b));
        expect(responseEntry('p:', 'q', null, {}, PRIVATE, a)).toBeUndefined();
      }),
      { numRuns: 1_000 },
    );
  });

  it('are not made of what cannot be written: variables or representations nested 100,000 deep are not cached, never an error', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const anyone = { scopes: new Set<string>() };
    expect(responseEntry('p:', 'q', null, { unused: deep }, PUBLIC, anyone)).toBeUndefined();
    expect(rootEntry('p:', 'products', 'h', { unused: deep }, PUBLIC, anyone)).toBeUndefined();
    expect(entityEntry('p:', 'products', 'h', { __typename: 'Product', id: 'p1', extra: deep }, PUBLIC, anyone)).toBeUndefined();
    expect(responseEntry('p:', 'q', null, { unused: [[1]] }, PUBLIC, anyone)).toBeDefined();
  });

  it('give one public entry to everyone, whatever they are; a whole response by what they may see', () => {
    fc.assert(
      fc.property(identity, identity, (a, b) => {
        const rep = { __typename: 'Product', id: 'p1' };
        expect(entityEntry('p:', 'products', 'h', rep, PUBLIC, a)!.key).toBe(entityEntry('p:', 'products', 'h', rep, PUBLIC, b)!.key);
        const sameView = (a.sub !== undefined) === (b.sub !== undefined) && sameCaller({ scopes: a.scopes }, { scopes: b.scopes });
        expect(responseEntry('p:', 'q', null, {}, PUBLIC, a)!.key === responseEntry('p:', 'q', null, {}, PUBLIC, b)!.key).toBe(sameView);
      }),
      { numRuns: 1_000 },
    );
  });

  it('keep apart subgraphs, types, representations, selections and variables', () => {
    const keys = [
      entityEntry('p:', 'reviews', 'h', { __typename: 'Product', id: '1' }, PUBLIC, { scopes: new Set() })!.key,
      entityEntry('p:', 'products', 'h', { __typename: 'Product', id: '1' }, PUBLIC, { scopes: new Set() })!.key,
      entityEntry('p:', 'reviews', 'h', { __typename: 'User', id: '1' }, PUBLIC, { scopes: new Set() })!.key,
      entityEntry('p:', 'reviews', 'h', { __typename: 'Product', id: '2' }, PUBLIC, { scopes: new Set() })!.key,
      entityEntry('p:', 'reviews', 'h2', { __typename: 'Product', id: '1' }, PUBLIC, { scopes: new Set() })!.key,
      rootEntry('p:', 'products', 'h', { first: 1 }, PUBLIC, { scopes: new Set() })!.key,
      rootEntry('p:', 'products', 'h', { first: 2 }, PUBLIC, { scopes: new Set() })!.key,
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('splitEntities and mergeEntities', () => {
  const entity = (i: number) => ({ __typename: 'Product', n: i });
  const scenario = fc
    .array(fc.record({ found: fc.boolean(), answer: fc.constantFrom('entity', 'null', 'error') }), { minLength: 1, maxLength: 12 })
    .map((items) => items.map((item, i) => ({ ...item, i })));

  it('put every entity back in its position and every error on its entity; only clean answers are kept', () => {
    fc.assert(
      fc.property(scenario, (items) => {
        const found = items.map((item) => (item.found ? { value: entity(item.i) } : {}));
        const split = splitEntities(found);
        expect(split.missing).toEqual(items.filter((item) => !item.found).map((item) => item.i));
        const missing = items.filter((item) => !item.found);
        const fetched: FetchResult = {
          data: { _entities: missing.map((item) => (item.answer === 'entity' ? entity(item.i) : null)) },
          errors: missing.flatMap((item, j) => (item.answer === 'error' ? [{ message: `e${item.i}`, path: ['_entities', j, 'n'] }] : [])),
        };
        if (!fetched.errors!.length) delete fetched.errors;
        const { result, keepable } = mergeEntities(found, split, fetched);
        // What the subgraph would have answered for the whole fetch.
        expect((result.data as { _entities: unknown[] })._entities).toEqual(
          items.map((item) => (item.found || item.answer === 'entity' ? entity(item.i) : null)),
        );
        expect(result.errors ?? []).toEqual(
          items
            .filter((item) => !item.found && item.answer === 'error')
            .map((item) => ({ message: `e${item.i}`, path: ['_entities', item.i, 'n'] })),
        );
        expect(keepable).toEqual(missing.filter((item) => item.answer === 'entity').map((item) => item.i));
      }),
      { numRuns: 1_000 },
    );
  });

  it('passes a failed fetch on as it is, keeping nothing', () => {
    const found = [{ value: entity(0) }, {}];
    const failed: FetchResult = { data: null, errors: [{ message: 'MAX_ENTITIES_LIMIT' }] };
    expect(mergeEntities(found, splitEntities(found), failed)).toEqual({ result: failed, keepable: [] });
  });
});
