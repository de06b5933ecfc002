/**
 * The whole platform as users run it: four real processes, each subgraph on its own
 * PostgreSQL database of a real server, queried through the gateway over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  sqlRows as sql,
  startPlatformWithDatabases,
  testToken,
  type Connection,
  type GraphQLResponse,
  type PlatformWithDatabases,
  type SubgraphDatabases,
} from '@tessera/test-helpers';

const SEED = { SEED_USERS: '30', SEED_PRODUCTS: '12', SEED_REVIEWS: '150' };
let platform: PlatformWithDatabases;
let dbs: SubgraphDatabases;

beforeAll(async () => {
  platform = await startPlatformWithDatabases('e2e', { env: SEED });
  dbs = platform.databases;
}, 120_000);

afterAll(() => platform?.stop());

describe('reads across subgraphs', () => {
  it('answers the README query with data from all three subgraphs', async () => {
    const { status, body } = await platform.graphql<{
      topProducts: Array<{
        name: string;
        price: { amount: number; currency: string };
        averageRating: number | null;
        reviews: Connection<{ rating: number; author: { username: string } }>;
      }>;
    }>(`{
      topProducts(first: 5) {
        name price { amount currency } averageRating
        reviews(first: 3) { edges { node { rating author { username } } } }
      }
    }`);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const products = body.data!.topProducts;
    expect(products).toHaveLength(5);
    const usernames = new Set((await sql<{ username: string }>(dbs.byName.users.url, 'SELECT username FROM users')).map((r) => r.username));
    let authors = 0;
    for (const product of products) {
      expect(product.price.currency).toBe('USD');
      expect(product.price.amount).toBeGreaterThan(0);
      for (const { node } of product.reviews.edges) {
        expect(node.rating).toBeGreaterThanOrEqual(1);
        expect(usernames.has(node.author.username)).toBe(true);
        authors++;
      }
    }
    expect(authors).toBeGreaterThan(0);
  });

  it("follows a user's reviews to their products (users → reviews → products)", async () => {
    const [author] = await sql<{ author_id: string; n: string }>(
      dbs.byName.reviews.url,
      'SELECT author_id, count(*) AS n FROM reviews GROUP BY author_id ORDER BY n DESC, author_id LIMIT 1',
    );
    const { body } = await platform.graphql<{
      user: { id: string; username: string; reviews: Connection<{ rating: number; product: { sku: string; name: string } }> };
    }>(`query ($id: ID!) { user(id: $id) { id username reviews(first: 100) { edges { node { rating product { sku name } } } } } }`, {
      id: author!.author_id,
    });
    expect(body.errors).toBeUndefined();
    expect(body.data!.user.id).toBe(author!.author_id);
    const edges = body.data!.user.reviews.edges;
    expect(edges).toHaveLength(Number(author!.n));
    for (const { node } of edges) expect(node.product.sku).toMatch(/^SKU-\d{6}$/);
  });

  it('computes averageRating and reviewCount from the reviews database', async () => {
    const { body } = await platform.graphql<{ topProducts: Array<{ id: string; reviewCount: number; averageRating: number | null }> }>(
      `{ topProducts(first: 1) { id reviewCount averageRating } }`,
    );
    const product = body.data!.topProducts[0]!;
    const [row] = await sql<{ n: string; avg: string | null }>(
      dbs.byName.reviews.url,
      'SELECT count(*) AS n, avg(rating) AS avg FROM reviews WHERE product_id = $1',
      [product.id],
    );
    expect(product.reviewCount).toBe(Number(row!.n));
    if (row!.avg === null) expect(product.averageRating).toBeNull();
    else expect(product.averageRating).toBeCloseTo(Number(row!.avg), 10);
  });

  it('pages through every user through the gateway', async () => {
    type UsersPage = { users: Connection<{ id: string }> };
    const ids: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 20; page++) {
      // Typed here: `after` comes from the answer and goes into the next request.
      const { body }: { body: GraphQLResponse<UsersPage> } = await platform.graphql<UsersPage>(
        `query ($after: String) { users(first: 7, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      ids.push(...body.data!.users.edges.map((e) => e.node.id));
      if (!body.data!.users.pageInfo!.hasNextPage) break;
      after = body.data!.users.pageInfo!.endCursor!;
    }
    const [{ n }] = (await sql<{ n: string }>(dbs.byName.users.url, 'SELECT count(*) AS n FROM users')) as [{ n: string }];
    expect(ids).toHaveLength(Number(n));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('rejects a page over the cap with BAD_USER_INPUT and no stack trace', async () => {
    const { status, body } = await platform.graphql(`{ products(first: 500) { edges { node { id } } } }`);
    expect(status).toBe(200);
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(JSON.stringify(body)).not.toMatch(/stacktrace|at .*\.ts:\d+/);
  });
});

describe('mutations through the gateway', () => {
  /** A back-office caller: may create users and products (who may do what: test/auth.test.ts). */
  const admin = () => testToken({ sub: 'e2e-admin', scopes: ['users:write', 'products:write'] });

  it('creates a user, a product and a review, then reads them joined', async () => {
    const user = await platform.graphql<{ createUser: { id: string; username: string } }>(
      `mutation { createUser(input: { username: "e2e.writer", name: "E2E Writer", email: "e2e@example.com" }) { id username } }`,
      {},
      { token: await admin() },
    );
    expect(user.body.errors).toBeUndefined();
    const product = await platform.graphql<{ createProduct: { id: string; sku: string } }>(
      `mutation { createProduct(input: { sku: "E2E-1", name: "Test kettle", price: { amount: 4999, currency: "GBP" } }) { id sku } }`,
      {},
      { token: await admin() },
    );
    expect(product.body.errors).toBeUndefined();
    // The new user writes the review: its author is whoever the token says.
    const writer = await testToken({ sub: user.body.data!.createUser.id });
    const review = await platform.graphql<{ createReview: { id: string } }>(
      `mutation ($input: CreateReviewInput!) { createReview(input: $input) { id author { username } product { name price { currency } } } }`,
      { input: { productId: product.body.data!.createProduct.id, rating: 5, body: 'Boils fast.' } },
      { token: writer },
    );
    expect(review.body.errors).toBeUndefined();
    expect(review.body.data!.createReview).toMatchObject({
      author: { username: 'e2e.writer' },
      product: { name: 'Test kettle', price: { currency: 'GBP' } },
    });

    const read = await platform.graphql(
      `query ($id: ID!) { product(id: $id) { reviewCount averageRating reviews { edges { node { body author { name } } } } } }`,
      { id: product.body.data!.createProduct.id },
    );
    expect(read.body.data!.product).toEqual({
      reviewCount: 1,
      averageRating: 5,
      reviews: { edges: [{ node: { body: 'Boils fast.', author: { name: 'E2E Writer' } } }] },
    });

    const removed = await platform.graphql(
      `mutation ($id: ID!) { deleteReview(id: $id) { id } }`,
      { id: review.body.data!.createReview.id },
      { token: writer },
    );
    expect(removed.body.errors).toBeUndefined();
    const again = await platform.graphql(
      `mutation ($id: ID!) { deleteReview(id: $id) { id } }`,
      { id: review.body.data!.createReview.id },
      { token: writer },
    );
    expect(again.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it.each([
    ['createUser', `mutation { createUser(input: { username: "!!", name: "x", email: "x@example.com" }) { id } }`, 'input.username'],
    [
      'createUser',
      `mutation { createUser(input: { username: "e2e.writer", name: "Dup", email: "dup@example.com" }) { id } }`,
      'input.username',
    ],
    [
      'createProduct',
      `mutation { createProduct(input: { sku: "E2E-1", name: "Dup", price: { amount: 1, currency: "USD" } }) { id } }`,
      'input.sku',
    ],
    [
      'createProduct',
      `mutation { createProduct(input: { sku: "E2E-2", name: "x", price: { amount: 1, currency: "usd" } }) { id } }`,
      'input.price.currency',
    ],
    [
      'createReview',
      `mutation { createReview(input: { productId: "00000000-0000-7000-8000-000000000001", authorId: "00000000-0000-7000-8000-000000000002", rating: 9, body: "x" }) { id } }`,
      'input.rating',
    ],
  ])('%s with bad input answers BAD_USER_INPUT on %s and writes nothing', async (_name, mutation, field) => {
    const counts = async () =>
      Promise.all(
        [
          ['users', 0],
          ['products', 1],
          ['reviews', 2],
        ].map(async ([table, i]) =>
          Number((await sql<{ n: string }>(Object.values(dbs.byName)[i as number]!.url, `SELECT count(*) AS n FROM ${table}`))[0]!.n),
        ),
      );
    const before = await counts();
    const { status, body } = await platform.graphql(mutation, {}, { token: await admin() });
    expect(status).toBe(200);
    expect(body.data).toBeNull();
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await counts()).toEqual(before);
  });
});

describe('health and readiness', () => {
  it('answers /health and /ready on every service', async () => {
    for (const port of Object.values(platform.ports)) {
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
    }
  });
});

describe('a subgraph killed mid-run', () => {
  it('gives partial data and an error naming it, then recovers when it returns', async () => {
    await platform.kill('reviews', 'SIGKILL');

    const { status, body } = await platform.graphql<{ topProducts: Array<{ name: string; averageRating: number | null }> }>(
      `{ topProducts(first: 3) { name averageRating } }`,
    );
    expect(status).toBe(200);
    expect(body.data!.topProducts).toHaveLength(3);
    for (const product of body.data!.topProducts) {
      expect(typeof product.name).toBe('string');
      expect(product.averageRating).toBeNull();
    }
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'SUBREQUEST_HTTP_ERROR', service: 'reviews' });
    expect(body.errors?.[0]?.message).toContain("'reviews'");
    expect(JSON.stringify(body.errors)).not.toContain('127.0.0.1');

    // The gateway stays in the load balancer: a subgraph down costs its fields, not the replica.
    expect((await fetch(`http://127.0.0.1:${platform.ports.gateway}/ready`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${platform.ports.gateway}/health`)).status).toBe(200);

    await platform.restart('reviews');
    const healed = await platform.graphql(`{ topProducts(first: 3) { name averageRating } }`);
    expect(healed.body.errors).toBeUndefined();
    expect((await fetch(`http://127.0.0.1:${platform.ports.gateway}/ready`)).status).toBe(200);
  });
});
