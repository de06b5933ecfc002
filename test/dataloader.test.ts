/**
 * DataLoader's promise, counted on a real PostgreSQL server: the statements each
 * subgraph sends for one operation do not grow with the size of the lists asked for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createStatementCounter,
  createSubgraphDatabases,
  requireEnv,
  startPlatform,
  testToken,
  SUBGRAPH_NAMES,
  type Connection,
  type Platform,
  type StatementCounter,
  type SubgraphDatabases,
} from '@tessera/test-helpers';

const SEED = { SEED_USERS: '150', SEED_PRODUCTS: '120', SEED_REVIEWS: '1500' };

const TOP_PRODUCTS = /* GraphQL */ `
  query ($n: Int!) {
    topProducts(first: $n) {
      reviews(first: 5) {
        edges {
          node {
            author {
              username
            }
          }
        }
      }
      averageRating
      reviewCount
    }
  }
`;
const USERS_REVIEWS = /* GraphQL */ `
  query ($n: Int!) {
    users(first: $n) {
      edges {
        node {
          reviews {
            edges {
              node {
                product {
                  name
                }
              }
            }
          }
        }
      }
    }
  }
`;

let dbs: SubgraphDatabases;
let counter: StatementCounter;

beforeAll(async () => {
  dbs = await createSubgraphDatabases('n1');
  counter = await createStatementCounter(
    requireEnv('TEST_POSTGRES_URL'),
    Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, dbs.byName[n].name])),
  );
});
afterAll(async () => {
  await counter?.close();
  await dbs?.drop();
});

function platformEnv(batching: boolean): Record<string, string> {
  return {
    ...SEED,
    DATALOADER_BATCHING: String(batching),
    // The events' relay and catch-up sweep the outbox on a timer: out of the measured window.
    EVENTS_RELAY_INTERVAL_MS: '3600000',
    EVENTS_CATCHUP_INTERVAL_MS: '3600000',
    ...dbs.env,
  };
}

/** The data of TOP_PRODUCTS. */
interface TopProducts {
  topProducts: Array<{ reviews: Connection<{ author: { username: string } }>; averageRating: number | null; reviewCount: number }>;
}
/** The data of USERS_REVIEWS. */
interface UsersReviews {
  users: Connection<{ reviews: Connection<{ product: { name: string } }> }>;
}

async function measure<TData>(platform: Platform, query: string, n: number) {
  const { result, statements } = await counter.count(() => platform.graphql<TData>(query, { n }));
  expect(result.body.errors).toBeUndefined();
  return { body: result.body, statements };
}

describe('with batching (the default)', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({ env: platformEnv(true) });
  }, 120_000);
  afterAll(() => platform?.stop());

  it.each([1, 10, 100])('topProducts(first: %i) with reviews, authors and ratings: 1 + 2 + 1 statements', async (n) => {
    const { body, statements } = await measure<TopProducts>(platform, TOP_PRODUCTS, n);
    expect(body.data!.topProducts).toHaveLength(n);
    // products: topProducts. reviews: one LATERAL page query for all products, one
    // GROUP BY for averageRating and reviewCount together. users: one _entities batch.
    expect(statements).toEqual({ products: 1, reviews: 2, users: 1 });
  });

  it.each([1, 10, 100])('users(first: %i) with reviews and their products: 1 + 1 + 1 statements', async (n) => {
    const { body, statements } = await measure<UsersReviews>(platform, USERS_REVIEWS, n);
    expect(body.data!.users.edges).toHaveLength(n);
    expect(statements).toEqual({ users: 1, reviews: 1, products: 1 });
  });

  it('answers a mutation with data written by the mutations before it in the same request', async () => {
    const { body: top } = await platform.graphql<{ topProducts: Array<{ id: string; reviewCount: number }> }>(
      `{ topProducts(first: 1) { id reviewCount } }`,
    );
    const { body: someone } = await platform.graphql<{ users: Connection<{ id: string }> }>(
      `{ users(first: 1) { edges { node { id } } } }`,
    );
    const product = top.data!.topProducts[0]!;
    const author = await testToken({ sub: someone.data!.users.edges[0]!.node.id });
    const input = { productId: product.id, rating: 5, body: 'Fresh' };
    type Created = { product: { reviewCount: number; reviews: Connection<{ id: string }> }; id: string };
    const { body } = await platform.graphql<{ first: Created; second: Created }>(
      `mutation ($input: CreateReviewInput!) {
        first: createReview(input: $input) { product { reviewCount reviews(first: 1) { edges { node { id } } } } id }
        second: createReview(input: $input) { product { reviewCount reviews(first: 1) { edges { node { id } } } } id }
      }`,
      { input },
      { token: author },
    );
    expect(body.errors).toBeUndefined();
    const { first, second } = body.data!;
    expect(first.product.reviewCount).toBe(product.reviewCount + 1);
    expect(second.product.reviewCount).toBe(product.reviewCount + 2);
    expect(first.product.reviews.edges[0]!.node.id).toBe(first.id);
    expect(second.product.reviews.edges[0]!.node.id).toBe(second.id);
  });
});

describe('with batching switched off (DATALOADER_BATCHING=false)', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({ env: platformEnv(false) });
  }, 120_000);
  afterAll(() => platform?.stop());

  it('sends one statement per parent, so the count grows with the list', async () => {
    const { body, statements } = await measure<TopProducts>(platform, TOP_PRODUCTS, 10);
    const authors = new Set(body.data!.topProducts.flatMap((p) => p.reviews.edges.map((e) => e.node.author.username)));
    expect(statements).toEqual({ products: 1, reviews: 20, users: authors.size });
  });
});
