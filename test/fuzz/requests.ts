/**
 * Bad requests, generated: mutated documents and variables of every type, malformed and
 * truncated JSON, random bytes, wrong and missing media types, huge and deep values, odd
 * Unicode, GET and POST and other methods, wrong JSON types in every request parameter and
 * extension field, documents around each operation limit, and requests below GraphQL written
 * byte for byte (`raw-http.ts`) — aimed at the gateway and at each subgraph.
 */
import fc from 'fast-check';
import { rawRequest } from './raw-http.js';

/** Where a request goes. */
export type FuzzTarget = 'gateway' | 'users' | 'products' | 'reviews';

/** One request to send as it is. */
export interface FuzzRequest {
  target: FuzzTarget;
  method: string;
  /** Path and query string. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Bytes written on a socket as they are, instead of a request built by `fetch`. */
  raw?: string;
}

interface Operation {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

/** Well-formed requests each target answers, to be broken. */
const CORPUS: Record<FuzzTarget, Operation[]> = {
  gateway: [
    {
      query:
        '{ topProducts(first: 5) { name price { amount currency } averageRating reviews(first: 3) { edges { node { rating author { username } } } } } }',
    },
    {
      query:
        'query Page($first: Int, $after: String) { users(first: $first, after: $after) { edges { cursor node { id username } } pageInfo { hasNextPage endCursor } } }',
      variables: { first: 10, after: null },
    },
    {
      query:
        'query P($id: ID!) { product(id: $id) { name description reviews(first: 5) { edges { node { body createdAt author { name } } } } } }',
      variables: { id: '0190f000-0000-7000-8000-000000000001' },
    },
    {
      query: 'mutation R($input: CreateReviewInput!) { createReview(input: $input) { id rating } }',
      variables: {
        input: {
          productId: '0190f000-0000-7000-8000-000000000001',
          authorId: '0190f000-0000-7000-8000-000000000002',
          rating: 4,
          body: 'Fine',
        },
      },
    },
    {
      query: 'mutation U($input: CreateUserInput!) { createUser(input: $input) { id } }',
      variables: { input: { username: 'fuzz_user', name: 'Fuzz', email: 'fuzz@example.com' } },
    },
    {
      query: 'mutation P($input: CreateProductInput!) { createProduct(input: $input) { id } }',
      variables: { input: { sku: 'FUZZ-1', name: 'Fuzz', price: { amount: 100, currency: 'USD' } } },
    },
    { query: 'mutation D($id: ID!) { deleteReview(id: $id) { id } }', variables: { id: '0190f000-0000-7000-8000-000000000003' } },
    {
      query: 'mutation E($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id name price { amount } } }',
      variables: {
        id: '0190f000-0000-7000-8000-000000000001',
        input: { name: 'Fuzzed', description: 'Edited', price: { amount: 250, currency: 'EUR' } },
      },
    },
    {
      query: 'mutation E($id: ID!, $input: UpdateReviewInput!) { updateReview(id: $id, input: $input) { id rating body } }',
      variables: { id: '0190f000-0000-7000-8000-000000000003', input: { rating: 2, body: 'Changed' } },
    },
    {
      query: 'mutation E($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id name email } }',
      variables: { id: '0190f000-0000-7000-8000-000000000002', input: { name: 'Renamed', email: 'renamed@example.com' } },
    },
    { query: 'query A { __typename } query B { topProducts { id } }', operationName: 'B' },
    {
      query: 'query ($n: Int = 3, $yes: Boolean!) { products(first: $n) { edges { node { name reviewCount @include(if: $yes) } } } }',
      variables: { yes: true },
    },
  ],
  users: [
    {
      query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id username email } } }',
      variables: { r: [{ __typename: 'User', id: '0190f000-0000-7000-8000-000000000002' }] },
    },
    { query: '{ users(first: 3) { edges { node { id } } } }' },
    {
      query: 'mutation ($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }',
      variables: { id: '0190f000-0000-7000-8000-000000000002', input: { name: 'F' } },
    },
    {
      query: 'mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }',
      variables: { input: { username: 'fuzz_sub', name: 'F', email: 'f@example.com' } },
    },
    { query: '{ _service { sdl } }' },
  ],
  products: [
    {
      query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id sku name } } }',
      variables: {
        r: [
          { __typename: 'Product', sku: 'SKU-000001' },
          { __typename: 'Product', id: 'x' },
        ],
      },
    },
    { query: '{ topProducts(first: 2) { id price { amount } } }' },
    {
      query: 'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }',
      variables: { input: { sku: 'FUZZ-SUB', name: 'F', price: { amount: 1, currency: 'EUR' } } },
    },
    {
      query: 'mutation ($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id } }',
      variables: { id: '0190f000-0000-7000-8000-000000000001', input: { price: { amount: 1, currency: 'EUR' } } },
    },
  ],
  reviews: [
    {
      query:
        'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Product { reviewCount averageRating reviews(first: 2) { edges { node { id } } } } ... on User { reviews { edges { cursor } } } } }',
      variables: {
        r: [
          { __typename: 'Product', id: '0190f000-0000-7000-8000-000000000001' },
          { __typename: 'User', id: 'u' },
        ],
      },
    },
    { query: 'query ($id: ID!) { review(id: $id) { id body author { id } } }', variables: { id: '0190f000-0000-7000-8000-000000000003' } },
    { query: 'mutation ($id: ID!) { deleteReview(id: $id) { id } }', variables: { id: 'nope' } },
    {
      query: 'mutation ($id: ID!, $input: UpdateReviewInput!) { updateReview(id: $id, input: $input) { id } }',
      variables: { id: '0190f000-0000-7000-8000-000000000003', input: { body: 'F' } },
    },
  ],
};

const oddText = fc.constantFrom(
  '\u0000',
  '\ud800',
  '\udfff',
  '\u202e',
  '\ufeff',
  '💥',
  '\u0085',
  'ǅ',
  '\n',
  '"',
  '\\',
  '{',
  '}',
  '$',
  '@',
  '...',
  '#',
  '\t',
);
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), oddText, fc.constant('x'.repeat(70_000)));

/**
 * Stands for arrays nested this deep; {@link serialize} writes them out. Building them as
 * values would overflow this process's own stack in `JSON.stringify`.
 */
const DEEP = '\u0001deep\u0001';

/** JSON text of a generated value, with its deep placeholders written out as nested arrays. */
function serialize(value: unknown): string {
  return (JSON.stringify(value) ?? 'undefined').replace(
    /"\\u0001deep\\u0001(\d+)\\u0001deep\\u0001"/g,
    (_, depth: string) => '['.repeat(Number(depth)) + ']'.repeat(Number(depth)),
  );
}

/** A JSON value of any shape, sometimes a very large or very deep one. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 3, arbitrary: fc.constantFrom(null, true, 0, -1, 1.5, 2 ** 31, 1e300, -0, '', 'null', '0190F000-0000-7000-8000-000000000001') },
  { weight: 2, arbitrary: text },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((depth) => `${DEEP}${depth}${DEEP}`) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1, max: 5_000 })
      .map((length) => Array.from({ length }, (_, i) => ({ __typename: 'User', id: String(i) }))),
  },
);

/** A document broken in one of the ways a typo, a truncation or an attacker breaks one. */
function mutateDocument(query: string): fc.Arbitrary<string> {
  const at = fc.nat(query.length);
  return fc.oneof(
    fc.tuple(at, text).map(([i, t]) => query.slice(0, i) + t + query.slice(i)),
    fc.tuple(at, at).map(([a, b]) => query.slice(0, Math.min(a, b)) + query.slice(Math.max(a, b))),
    at.map((i) => query.slice(0, i)),
    fc.tuple(at, fc.integer({ min: 1, max: 3_000 })).map(([i, n]) => query.slice(0, i) + '{ a '.repeat(n) + query.slice(i)),
    fc.integer({ min: 1, max: 300 }).map((n) => `{ ${Array.from({ length: n }, (_, i) => `x${i}: __typename`).join(' ')} }`),
    fc.constant(query.replace(/\w+/, (word) => word.toUpperCase())),
    fc.constant(query),
  );
}

/** Variables with one value replaced, removed, or added, at any depth. */
function mutateVariables(variables: Record<string, unknown> = {}): fc.Arbitrary<unknown> {
  const keys = Object.keys(variables);
  return fc.oneof(
    fc.tuple(fc.constantFrom(...(keys.length ? keys : ['x'])), anyValue).map(([key, value]) => ({ ...variables, [key]: value })),
    fc.tuple(fc.constantFrom(...(keys.length ? keys : ['x'])), fc.string({ maxLength: 10 }), anyValue).map(([key, inner, value]) => ({
      ...variables,
      [key]: typeof variables[key] === 'object' && variables[key] !== null ? { ...variables[key], [inner]: value } : value,
    })),
    fc.constant(Object.fromEntries(keys.slice(1).map((key) => [key, variables[key]]))),
    anyValue,
  );
}

const contentType = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-16',
      'text/plain',
      'application/graphql',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      '',
      'garbage/;;;',
    ),
  },
);
const accept = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('application/json', 'application/graphql-response+json, application/json;q=0.9', '*/*', '') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'application/json',
      'application/graphql-response+json',
      'application/graphql-response+json, application/json;q=0.9',
      '*/*',
      'text/html',
      'text/csv',
      'multipart/mixed',
      '',
      'application/json;q=0',
    ),
  },
);
const preflight = fc.option(fc.constantFrom('true', '1', ''), { nil: undefined });

/** `extensions`, and each field in it, of every JSON type: `persistedQuery` a string, a number, an object of wrong fields… */
const extensionsOfEveryType: fc.Arbitrary<unknown> = fc.oneof(
  anyValue,
  fc.record(
    {
      persistedQuery: fc.oneof(
        anyValue,
        fc.record(
          { version: fc.oneof(fc.constant(1), anyValue), sha256Hash: fc.oneof(fc.constant('a'.repeat(64)), anyValue) },
          { requiredKeys: [] },
        ),
      ),
      idempotency: anyValue,
      clientLibrary: anyValue,
    },
    { requiredKeys: [] },
  ),
);

/** `{ ...F0 }` where each fragment spreads the next `spreads` times, down to `leaf`. */
const fanOut = (levels: number, spreads: number, leaf: string) =>
  `{ ...F0 } ${Array.from({ length: levels }, (_, i) => (i === levels - 1 ? `fragment F${i} on Query { ${leaf} }` : `fragment F${i} on Query { ${Array.from({ length: spreads }, () => `...F${i + 1}`).join(' ')} }`)).join(' ')}`;

/** A path through the graph `depth` fields deep (Product → reviews → edges → node → product → …). */
const deep = (depth: number) => {
  const steps = ['reviews(first: 1)', 'edges', 'node', 'product'];
  let open = 'topProducts(first: 1)';
  for (let i = 1; i < depth; i++) open += ` { ${steps[(i - 1) % steps.length]}`;
  return `{ ${open} { __typename }${' }'.repeat(depth - 1)} }`;
};

/**
 * Documents just under, at and over each operation limit at its default — depth (15), aliases
 * (30), selections after fragment expansion (10,000), pairs of same-key fields (10,000), cost
 * (10,000), tokens (10,000) — reached by fan-outs, fragments and repeats, where a limit counted
 * one way and a later stage another would answer 500.
 */
const nearALimit: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 12, max: 18 }).map(deep),
  fc.integer({ min: 25, max: 36 }).map((n) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`),
  fc
    .tuple(fc.integer({ min: 10, max: 20 }), fc.boolean())
    .map(
      ([n, twice]) =>
        `{ ...A ${twice ? '...A' : ''} } fragment A on Query { ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`,
    ),
  fc
    .tuple(
      fc.integer({ min: 9, max: 14 }),
      fc.integer({ min: 2, max: 3 }),
      fc.constantFrom('__typename', 'users(first: 1) { edges { node { id } } }', '... on Query { __typename }'),
    )
    .map(([levels, spreads, leaf]) => fanOut(levels, spreads, leaf)),
  fc.integer({ min: 135, max: 150 }).map((k) => `{ ${'topProducts { id } '.repeat(k)}}`),
  fc.integer({ min: 4_990, max: 5_010 }).map((n) => `{ users(first: ${n}) { edges { node { id } } } }`),
  fc.integer({ min: 9_990, max: 10_010 }).map((tokens) => `{ ${'__typename '.repeat(tokens - 2)}}`),
);

/** A broken POST: a mutated operation, malformed JSON, or bytes that are not JSON at all. */
function post(target: FuzzTarget): fc.Arbitrary<Omit<FuzzRequest, 'headers'> & { headers: Record<string, string> }> {
  const operation = fc.constantFrom(...CORPUS[target]);
  const body = operation.chain((op) =>
    fc.oneof(
      {
        weight: 6,
        arbitrary: fc
          .tuple(mutateDocument(op.query), mutateVariables(op.variables))
          .map(([query, variables]) => serialize({ ...op, query, variables })),
      },
      { weight: 2, arbitrary: fc.nat(JSON.stringify(op).length).map((cut) => JSON.stringify(op).slice(0, cut)) },
      {
        weight: 2,
        arbitrary: fc
          .record(
            { query: fc.oneof(fc.constant(op.query), anyValue), variables: anyValue, operationName: anyValue, extensions: anyValue },
            { requiredKeys: [] },
          )
          .map(serialize),
      },
      { weight: 1, arbitrary: anyValue.map(serialize) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 500 }) },
      {
        weight: 1,
        arbitrary: fc
          .integer({ min: 900_000, max: 1_200_000 })
          .map((size) => JSON.stringify({ query: op.query, padding: 'x'.repeat(size) })),
      },
      {
        weight: 1,
        arbitrary: fc
          .string({ minLength: 1, maxLength: 64 })
          .map((hash) => JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } })),
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(fc.option(fc.constant(op.query), { nil: undefined }), extensionsOfEveryType)
          .map(([query, extensions]) => serialize({ query, extensions })),
      },
      ...(target === 'gateway' ? [{ weight: 2, arbitrary: nearALimit.map((query) => JSON.stringify({ query })) }] : []),
    ),
  );
  return fc.record({
    target: fc.constant(target),
    method: fc.constant('POST'),
    path: fc.constant('/graphql'),
    headers: fc.constant({}),
    body,
  });
}

/** A broken GET, and other methods and paths. */
function other(target: FuzzTarget): fc.Arbitrary<FuzzRequest> {
  const operation = fc.constantFrom(...CORPUS[target]);
  const search = operation.chain((op) =>
    fc
      .record(
        {
          query: mutateDocument(op.query),
          variables: mutateVariables(op.variables).map(serialize),
          extensions: fc.string({ maxLength: 50 }),
        },
        { requiredKeys: [] },
      )
      .map((params) => new URLSearchParams(params as Record<string, string>).toString()),
  );
  return fc.record({
    target: fc.constant(target),
    method: fc.constantFrom('GET', 'GET', 'GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
    path: fc
      .tuple(fc.constantFrom('/graphql', '/graphql', '/graphql', '/graphql', '/graphql/', '/', '/graphql/x', '/health/../graphql'), search)
      .map(([path, query]) => `${path}?${query}`),
    headers: fc.constant({}),
  });
}

/** Bytes below GraphQL, to any target. */
function raw(target: FuzzTarget): fc.Arbitrary<FuzzRequest> {
  return rawRequest.map((bytes) => ({ target, method: 'RAW', path: '/graphql', headers: {}, raw: bytes }));
}

/** Any bad request to any target, headers included. */
export const badRequest: fc.Arbitrary<FuzzRequest> = fc
  .tuple(
    fc.constantFrom<FuzzTarget>('gateway', 'gateway', 'gateway', 'gateway', 'users', 'products', 'reviews'),
    fc.integer({ min: 0, max: 10 }),
  )
  .chain(([target, kind]) => (kind < 8 ? post(target) : kind < 10 ? other(target) : raw(target)))
  .chain((request) =>
    fc
      .record({ contentType, accept, preflight, developerKey: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }) })
      .map(({ contentType, accept, preflight, developerKey }) => ({
        ...request,
        headers: {
          ...(contentType && request.body !== undefined && { 'content-type': contentType }),
          ...(accept && { accept }),
          ...(preflight !== undefined && { 'apollo-require-preflight': preflight }),
          ...(developerKey !== undefined && { 'x-tessera-developer-key': developerKey.replace(/[^\x21-\x7e]/g, '') }),
        },
      })),
  );
