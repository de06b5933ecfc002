/**
 * Abusive documents are rejected at the gateway, before planning, with their own codes
 * and no subgraph call; realistic client queries pass. Real stack on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL, startPlatformWithDatabases, testToken, type PlatformWithDatabases } from '@tessera/test-helpers';

let platform: PlatformWithDatabases;

beforeAll(async () => {
  platform = await startPlatformWithDatabases('limits', {
    env: {
      SEED_USERS: '150',
      SEED_PRODUCTS: '120',
      SEED_REVIEWS: '600',
      // Info logs: every subgraph logs one line per GraphQL request it serves, which is
      // how these tests see whether a subgraph was called.
      LOG_LEVEL: 'info',
      COST_IN_EXTENSIONS: 'true',
      // Introspection on (as for a public Sandbox), so its own limits are what stops abuse.
      INTROSPECTION: 'true',
    },
  });
}, 120_000);

afterAll(() => platform?.stop());

const subgraphRequests = () =>
  (['users', 'products', 'reviews'] as const).reduce((n, s) => n + (platform.logs(s).match(/"msg":"graphql request"/g)?.length ?? 0), 0);

/** The cost the gateway reports (COST_IN_EXTENSIONS), in an error's extensions or the response's. */
interface Cost {
  cost: { estimated: number; max: number };
}

const post = (body: string) => postGraphQL(platform.gatewayUrl, body);

const fragmentBomb = (() => {
  const levels = 30;
  const fragments = Array.from({ length: levels }, (_, i) =>
    i === levels - 1 ? `fragment F${i} on Query { __typename }` : `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`,
  );
  return `{ ...F0 } ${fragments.join(' ')}`;
})();

/** `product(id) { reviews { edges { node { product { reviews … } } } } }`: 4 levels per hop, `first: 1` everywhere so it is cheap. */
function deepQuery(hops: number): string {
  let inner = 'id';
  for (let i = 0; i < hops; i++) inner = `product { reviews(first: 1) { edges { node { ${inner} } } } }`;
  return `{ review(id: "00000000-0000-7000-8000-000000000000") { ${inner} } }`;
}

const abusive: Array<[string, number, string, string]> = [
  [
    'nested list bomb',
    400,
    'COST_ESTIMATED_TOO_EXPENSIVE',
    JSON.stringify({
      query: `{ users(first: 100) { edges { node { reviews(first: 100) { edges { node { product { reviews(first: 100) { edges { node { id } } } } } } } } } } }`,
    }),
  ],
  [
    'alias flood',
    400,
    'MAX_ALIASES_LIMIT',
    JSON.stringify({ query: `{ ${Array.from({ length: 200 }, (_, i) => `a${i}: __typename`).join(' ')} }` }),
  ],
  ['fragment explosion', 400, 'MAX_NODES_LIMIT', JSON.stringify({ query: fragmentBomb })],
  ['deep nesting', 400, 'MAX_DEPTH_LIMIT', JSON.stringify({ query: deepQuery(4) })],
  ['directive flood', 400, 'GRAPHQL_VALIDATION_FAILED', JSON.stringify({ query: `{ __typename ${'@include(if: true) '.repeat(500)}}` })],
  ['huge token count', 400, 'GRAPHQL_PARSE_FAILED', JSON.stringify({ query: `{ ${'__typename '.repeat(20_000)}}` })],
  ['oversized body', 413, 'REQUEST_TOO_LARGE', JSON.stringify({ query: `{ __typename }`, padding: 'x'.repeat(2 * 1_048_576) })],
  [
    'batch flood',
    400,
    'BAD_REQUEST',
    JSON.stringify(Array.from({ length: 50 }, () => ({ query: '{ topProducts(first: 100) { name } }' }))),
  ],
  [
    'deep introspection',
    400,
    'INTROSPECTION_LIMIT',
    JSON.stringify({ query: `{ __type(name: "Query") { ${'ofType { '.repeat(20)}name${' }'.repeat(20)} } }` }),
  ],
  [
    'repeated __schema',
    400,
    'INTROSPECTION_LIMIT',
    JSON.stringify({ query: `{ ${Array.from({ length: 5 }, (_, i) => `s${i}: __schema { types { name } }`).join(' ')} }` }),
  ],
];

describe('abusive documents', () => {
  it.each(abusive)('%s is rejected with HTTP %i and %s, and no subgraph is called', async (_name, status, code, body) => {
    const before = subgraphRequests();
    const response = await post(body);
    expect(response.status).toBe(status);
    expect(response.body.errors?.[0]?.extensions?.code).toBe(code);
    expect(JSON.stringify(response.body)).not.toMatch(/stacktrace|\.ts:\d+/);
    expect(subgraphRequests()).toBe(before);
  });

  it('says how expensive a rejected operation was', async () => {
    const [, , , body] = abusive[0]!;
    const { body: answer } = await post(body);
    const extensions = answer.errors![0]!.extensions as Partial<Cost> | undefined;
    expect(extensions!.cost).toEqual({ estimated: expect.any(Number) as number, max: 10_000 });
    expect(extensions!.cost!.estimated).toBeGreaterThan(1_000_000);
    expect(answer.errors![0]!.extensions!.http).toBeUndefined();
  });

  it('keeps serving afterwards', async () => {
    expect((await platform.graphql('{ topProducts(first: 1) { name } }')).body.errors).toBeUndefined();
  });
});

describe('realistic client queries', () => {
  const realistic: Array<[string, string, Record<string, unknown>?]> = [
    [
      'README example',
      `{ topProducts(first: 5) { name price { amount currency } averageRating reviews(first: 3) { edges { node { rating author { username } } } } } }`,
    ],
    [
      'a page of 100 users with their latest reviews',
      `query ($after: String) { users(first: 100, after: $after) { edges { cursor node { id username reviews(first: 5) { edges { node { rating product { name } } } } } } pageInfo { hasNextPage endCursor } } }`,
      { after: null },
    ],
    [
      'a page of 100 products with ratings',
      `{ products(first: 100) { edges { node { id sku name price { amount currency } inStock reviewCount averageRating } } pageInfo { hasNextPage endCursor } } }`,
    ],
    [
      'a product page',
      `query ($id: ID!) { product(id: $id) { name description reviews(first: 20) { edges { node { rating body createdAt author { name } } } pageInfo { hasNextPage } } } }`,
      { id: '00000000-0000-7000-8000-000000000000' },
    ],
    [
      'a mutation',
      `mutation { createProduct(input: { sku: "LIMITS-1", name: "Realistic", price: { amount: 100, currency: "USD" } }) { id name } }`,
    ],
  ];

  it.each(realistic)('%s passes, with its cost in extensions', async (_name, query, variables) => {
    const token = await testToken({ sub: 'limits-client', scopes: ['products:write'] });
    const { status, body } = await platform.graphql<Record<string, unknown>, Cost>(query, variables, { token });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.extensions!.cost).toEqual({ estimated: expect.any(Number) as number, max: 10_000 });
    expect(body.extensions!.cost.estimated).toBeLessThanOrEqual(10_000);
  });

  it('records the estimated cost in the request log', () => {
    expect(platform.logs('gateway')).toMatch(/"msg":"graphql request".*"cost":\d+|"cost":\d+.*"msg":"graphql request"/);
  });
});
