/** Cache hints in the subgraph schemas, and the policies the gateway derives from them. */
import { join, resolve } from 'node:path';
import { buildSchema, parse, type GraphQLSchema } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { operationPolicy, readCacheHints, undecidedFields, type CacheHints } from '../src/features/cache/index.js';
import { apiSchemaOf, composeSupergraph, loadSupergraphConfig } from '../src/supergraph/index.js';

const root = resolve(import.meta.dirname, '../..');
let api: GraphQLSchema;
let hints: CacheHints;
beforeAll(async () => {
  const sdl = await composeSupergraph(await loadSupergraphConfig(join(root, 'supergraph.yaml')));
  api = apiSchemaOf(sdl);
  hints = readCacheHints(sdl);
});

const policy = (query: string, ttlOverrides?: Map<string, number>) => {
  const { maxAge, scope, types } = operationPolicy(api, hints, parse(query), undefined, { ttlOverrides });
  return { maxAge, scope, types: [...types].sort() };
};

describe('cache hints in the subgraph schemas', () => {
  it('decide a policy for every field of every subgraph (a field added without one fails here)', () => {
    expect(undecidedFields(api, hints)).toEqual([]);
  });

  it('catch a field without a decided policy, through types that inherit', () => {
    const sdl = `
      directive @cacheControl(maxAge: Int, scope: String, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT
      type Query { a: A @cacheControl(maxAge: 5) b: Int c: C }
      type A { x: Int page: Page }
      type C { y: Int }
      type Page @cacheControl(inheritMaxAge: true) { n: Int }`;
    expect(undecidedFields(buildSchema(sdl), readCacheHints(sdl)).sort()).toEqual(['C.y', 'Query.b', 'Query.c']);
  });
});

describe('operationPolicy', () => {
  it('is the smallest maxAge of what is read, PRIVATE when anything is', () => {
    expect(policy('{ topProducts { name price { amount } } }')).toEqual({ maxAge: 60, scope: 'PUBLIC', types: ['Money', 'Product'] });
    expect(policy('{ topProducts { name averageRating } }')).toMatchObject({ maxAge: 30, scope: 'PUBLIC' });
    expect(policy('{ user(id: "x") { name email } }')).toMatchObject({ maxAge: 60, scope: 'PRIVATE' });
    expect(policy('{ products { edges { node { id } } pageInfo { hasNextPage } } }')).toMatchObject({ maxAge: 60, scope: 'PUBLIC' });
  });

  it('reads an _entities fetch under each entity type', () => {
    const fetch =
      'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { reviewCount reviews(first: 2) { edges { node { rating } } } } } }';
    expect(policy(fetch)).toEqual({ maxAge: 30, scope: 'PUBLIC', types: ['Product', 'Review', 'ReviewConnection', 'ReviewEdge'] });
    expect(policy('query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { username email } } }')).toMatchObject({
      maxAge: 60,
      scope: 'PRIVATE',
    });
  });

  it('names the types nested beneath the entities, which the entity entries depend on too', () => {
    // The reviews subgraph answers a product's reviews, their authors and the authors' reviews in one fetch.
    const nested =
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Product { reviews(first: 5) { edges { node { author { reviews(first: 5) { edges { node { product { id } } } } } } } } } } }';
    const { nestedTypes } = operationPolicy(api, hints, parse(nested), undefined);
    expect([...nestedTypes].sort()).toEqual(['Product', 'Review', 'ReviewConnection', 'ReviewEdge', 'User']);
    const flat = operationPolicy(
      api,
      hints,
      parse('query ($r: [_Any!]!) { _entities(representations: $r) { ... on Product { reviewCount averageRating } } }'),
      undefined,
    );
    expect([...flat.nestedTypes]).toEqual([]);
  });

  it("caps by a per-type override, never caches a mutation, and leaves an answer of nothing but __typename to the caller's cap", () => {
    expect(policy('{ topProducts { name } }', new Map([['Product', 5]]))).toMatchObject({ maxAge: 5 });
    expect(policy('{ topProducts { name } }', new Map([['Product', 0]]))).toMatchObject({ maxAge: 0 });
    expect(policy('mutation { createReview(input: { productId: "p", rating: 1, body: "x" }) { id } }')).toMatchObject({ maxAge: 0 });
    expect(policy('{ __typename }')).toMatchObject({ maxAge: Number.POSITIVE_INFINITY });
  });
});
