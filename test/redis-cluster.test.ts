/**
 * Beyond one Redis: the caches, the persisted queries, the idempotency claims, the rate limits and
 * the subgraphs' nonces on a three-node Redis Cluster (the test wrapper starts it on loopback).
 * Every multi-key step is per key or within one hash slot, so nothing trips CROSSSLOT, and a
 * write's invalidation reaches the generations on whichever node each lives.
 */
import { createHash, randomUUID } from 'node:crypto';
import { generationKey, writeTags } from '@tessera/service-kit';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishManifest } from '@tessera/gateway';
import {
  errorCodes,
  metricSum,
  postGraphQL,
  scrapeMetrics,
  sqlRows,
  startPlatformWithDatabases,
  testToken,
  type GraphQLRequest,
  type PlatformWithDatabases,
} from '@tessera/test-helpers';

const clusterUrl = process.env.TEST_REDIS_CLUSTER_URL;
if (!clusterUrl) throw new Error('TEST_REDIS_CLUSTER_URL is not set: run the tests with `pnpm test`, which starts a Redis Cluster.');
const REDIS_KEY_PREFIX = `cluster-${randomUUID()}:`;
const REDIS = { REDIS_URL: clusterUrl, REDIS_CLUSTER: 'true', REDIS_KEY_PREFIX };

let platform: PlatformWithDatabases;
let cluster: Cluster;
let products: string[];
let admin: string;

beforeAll(async () => {
  platform = await startPlatformWithDatabases('cluster', {
    env: {
      ...REDIS,
      SEED_USERS: '6',
      SEED_PRODUCTS: '12',
      SEED_REVIEWS: '20',
      PERSISTED_QUERIES_MODE: 'allow',
      PQ_MANIFEST_REFRESH_MS: '200',
    },
  });
  cluster = new Cluster([clusterUrl]);
  products = (await sqlRows<{ id: string }>(platform.databases.byName.products.url, 'SELECT id FROM products ORDER BY id')).map(
    (row) => row.id,
  );
  const [user] = await sqlRows<{ id: string }>(platform.databases.byName.users.url, 'SELECT id FROM users ORDER BY id LIMIT 1');
  admin = await testToken({ sub: user!.id, scopes: ['products:write'] });
}, 120_000);
afterAll(async () => {
  await cluster?.quit();
  await platform?.stop();
});

/** The data of every operation sent here (each selects some of these). */
interface Answers {
  product: { id: string; name: string; averageRating: number | null };
  topProducts: Array<{ name: string }>;
}
const post = (url: string, body: GraphQLRequest, headers: Record<string, string> = {}) => postGraphQL<Answers>(url, body, headers);
const PRODUCT = 'query ($p: ID!) { product(id: $p) { id name averageRating } }';
const nodeOf = async (key: string) => {
  const slot = await cluster.cluster('KEYSLOT', key);
  return (cluster.slots[slot] ?? [])[0];
};

describe('on a Redis Cluster', () => {
  it('caches and invalidates, the entries and the generations of a dozen products spread over the nodes', async () => {
    for (const p of products) await post(platform.gatewayUrl, { query: PRODUCT, variables: { p } });
    for (const p of products) await post(platform.gatewayUrl, { query: PRODUCT, variables: { p } });
    const nodes = new Set(await Promise.all(products.map((id) => nodeOf(generationKey(REDIS_KEY_PREFIX, writeTags('Product', id)[0]!)))));
    expect(nodes.size).toBeGreaterThan(1);
    for (const p of products) {
      const renamed = `Renamed ${p.slice(-6)}`;
      const write = await post(
        platform.gatewayUrl,
        { query: 'mutation ($p: ID!, $n: String!) { updateProduct(id: $p, input: { name: $n }) { id } }', variables: { p, n: renamed } },
        { authorization: `Bearer ${admin}` },
      );
      expect(write.body.errors).toBeUndefined();
      expect((await post(platform.gatewayUrl, { query: PRODUCT, variables: { p } })).body.data!.product.name).toBe(renamed);
    }
    const metrics = await scrapeMetrics(platform.metricsPorts.gateway);
    const hits = metricSum(metrics, 'cache_lookups_total', {
      cache: 'response',
      subgraph: '-',
      type: '-',
      result: 'hit',
      service: 'gateway',
    });
    expect(hits).toBeGreaterThanOrEqual(products.length);
    expect(metrics).toMatch(/cache_errors_total\{service="gateway"\} 0/);
  });

  it('shares automatic persisted queries and a published manifest between gateways', async () => {
    const other = await platform.spawnGateway(REDIS);
    try {
      const query = `{ topProducts(first: 2) { name } } # ${randomUUID()}`;
      const extensions = { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } };
      expect((await post(platform.gatewayUrl, { query, extensions })).body.data?.topProducts).toHaveLength(2);
      expect((await post(other.url, { extensions })).body.data?.topProducts).toHaveLength(2);
      await publishManifest(
        cluster,
        {
          format: 'apollo-persisted-query-manifest',
          version: 1,
          operations: [{ id: 'cluster-top', body: '{ topProducts(first: 1) { name } }' }],
        },
        REDIS_KEY_PREFIX,
      );
      await expect
        .poll(
          async () =>
            (await post(other.url, { extensions: { persistedQuery: { version: 1, sha256Hash: 'cluster-top' } } })).body.data?.topProducts
              ?.length,
          { timeout: 10_000 },
        )
        .toBe(1);
    } finally {
      await other.stop();
    }
  });

  it('counts one rate-limit budget across gateways, and binds an idempotency key across them', async () => {
    const limited = {
      ...REDIS,
      RATE_LIMIT_POINTS: '4',
      RATE_LIMIT_WINDOW_SECONDS: '60',
      RATE_LIMIT_COST_WEIGHTED: 'false',
      RATE_LIMIT_BYTES_PER_POINT: '0',
    };
    const [a, b] = [await platform.spawnGateway(limited), await platform.spawnGateway(limited)];
    try {
      const token = await testToken({ sub: randomUUID() });
      const statuses = [];
      for (const gateway of [a, b, a, b, a])
        statuses.push((await post(gateway.url, { query: '{ __typename }' }, { authorization: `Bearer ${token}` })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 429]);
      const key = randomUUID();
      const first = await post(
        platform.gatewayUrl,
        { query: 'mutation ($p: ID!) { updateProduct(id: $p, input: { inStock: false }) { id inStock } }', variables: { p: products[0] } },
        { authorization: `Bearer ${admin}`, 'idempotency-key': key },
      );
      expect(first.body.errors).toBeUndefined();
      const reused = await post(
        a.url,
        { query: 'mutation ($p: ID!) { updateProduct(id: $p, input: { inStock: true }) { id inStock } }', variables: { p: products[0] } },
        { authorization: `Bearer ${admin}`, 'idempotency-key': key },
      );
      expect([reused.status, errorCodes(reused.body)[0]]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
