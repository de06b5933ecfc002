/** A response says each thing that went wrong once, and at most MAX_RESPONSE_ERRORS things. */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundErrors } from '../src/features/error-limit/index.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

describe('boundErrors', () => {
  const error = fc.record({
    message: fc.constantFrom('a', 'b', 'Unauthorized field or type'),
    path: fc.option(fc.array(fc.oneof(fc.constantFrom('users', '@', 'email'), fc.nat(3)), { maxLength: 3 }), { nil: undefined }),
    extensions: fc.option(fc.record({ code: fc.constantFrom('X', 'Y') }), { nil: undefined }),
  });

  it('keeps the first of each distinct error, in order, at most max of them, and counts the rest', () => {
    fc.assert(
      fc.property(fc.array(error, { maxLength: 60 }), fc.integer({ min: 1, max: 20 }), (errors, max) => {
        const keyOf = (e: (typeof errors)[number]) => JSON.stringify([e.message, e.path ?? null, e.extensions?.code ?? null]);
        const distinct = errors.filter((e, i) => errors.findIndex((other) => keyOf(other) === keyOf(e)) === i);
        const bounded = boundErrors(errors, max);
        expect(bounded.errors).toEqual(distinct.slice(0, max));
        expect(bounded.omitted).toBe(Math.max(0, distinct.length - max));
      }),
    );
  });
});

describe('a fragment spread thousands of times over a removed field', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ MAX_RESPONSE_ERRORS: '5', MAX_DEPTH: '40' });
  });
  afterAll(() => gateway?.close());

  /** `{ ...F0 }` where F(i) spreads F(i+1) twice, and the last selects `leaf`: 2^(levels-1) copies of it. */
  const fanOut = (levels: number, leaf: string) => {
    const fragments = Array.from({ length: levels }, (_, i) =>
      i === levels - 1 ? `fragment F${i} on Query { ${leaf} }` : `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`,
    );
    return `{ ...F0 } ${fragments.join(' ')}`;
  };

  it('answers one error per place, however many times the place is reached (1,024 copies of it before)', async () => {
    const query = fanOut(11, 'users(first: 1) { edges { node { email } } }');
    const { body } = await gateway.post({ query });
    const unauthorized = body.errors!.filter((e) => e.extensions!.code === 'UNAUTHORIZED_FIELD_OR_TYPE');
    expect(unauthorized).toEqual([
      {
        message: 'Unauthorized field or type',
        path: ['users', 'edges', '@', 'node', 'email'],
        extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' },
      },
    ]);
    expect(JSON.stringify(body).length).toBeLessThan(2 * query.length);
  });

  it('answers generated fan-outs over removed fields with distinct errors only, never more than MAX_RESPONSE_ERRORS', async () => {
    const leaf = fc
      .subarray(['a: me { email }', 'b: user(id: "x") { email }', 'c: users(first: 1) { edges { node { email } } }', 'd: __typename'], {
        minLength: 1,
      })
      .map((parts) => parts.join(' '));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 11 }), leaf, async (levels, selection) => {
        const { status, body } = await gateway.post({ query: fanOut(levels, selection) });
        expect(status).toBeLessThan(500);
        const errors = body.errors ?? [];
        expect(errors.length).toBeLessThanOrEqual(5);
        expect(new Set(errors.map((e) => JSON.stringify([e.message, e.path, e.extensions!.code]))).size).toBe(errors.length);
      }),
      { numRuns: 60 },
    );
  });
});
