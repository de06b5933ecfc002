/**
 * The persisted-query parts on a real Redis (TEST_REDIS_URL, under a key prefix of this run's
 * own): the APQ cache, the published manifest, developer keys, and trusted documents through
 * a gateway in `enforce` mode.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createApqCache,
  createDeveloperKeyCheck,
  createManifestStore,
  publishManifest,
  sha256,
} from '../../src/features/persisted-queries/index.js';
import { startTestGateway, untilOwnPartsReady, type TestGateway } from '../support/gateway.js';

const redisUrl = process.env.TEST_REDIS_URL;
if (!redisUrl) throw new Error('TEST_REDIS_URL is not set: run the tests with `pnpm test`, which starts Redis.');
const prefix = `unit-${randomBytes(4).toString('hex')}:`;
const silent = pino({ level: 'silent' });
let redis: Redis;
beforeAll(() => {
  redis = new Redis(redisUrl);
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

describe('createApqCache', () => {
  it('stores under the prefix with the TTL asked for, and deletes', async () => {
    const cache = createApqCache({ redis, prefix, logger: silent });
    await cache.set('apq:abc', '{ __typename }', { ttl: 60 });
    expect(await cache.get('apq:abc')).toBe('{ __typename }');
    expect(await redis.get(`${prefix}apq:abc`)).toBe('{ __typename }');
    expect(await redis.ttl(`${prefix}apq:abc`)).toBeGreaterThan(50);
    await cache.delete('apq:abc');
    expect(await cache.get('apq:abc')).toBeUndefined();
  });

  it('serves but does not register a query text longer than maxBytes, on Redis and in memory', async () => {
    for (const cache of [
      createApqCache({ redis, prefix, maxBytes: 1_024, logger: silent }),
      createApqCache({ prefix, maxBytes: 1_024, logger: silent }),
    ]) {
      await cache.set('apq:small', 'x'.repeat(1_024));
      await cache.set('apq:large', 'x'.repeat(1_025));
      await cache.set('apq:wide', 'é'.repeat(513));
      expect(await cache.get('apq:small')).toHaveLength(1_024);
      expect(await cache.get('apq:large')).toBeUndefined();
      expect(await cache.get('apq:wide')).toBeUndefined();
    }
  });

  it('counts a lookup Redis cannot answer as a miss, and says so in the log', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const down = new Redis('redis://127.0.0.1:9', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    down.on('error', () => {});
    try {
      expect(await createApqCache({ redis: down, prefix, logger }).get('apq:abc')).toBeUndefined();
      expect(lines.join('')).toContain('persisted query lookup counted as a miss');
    } finally {
      down.disconnect();
    }
  });
});

describe('published manifest', () => {
  it('is read whole by every store, and replaced whole by the next publication', async () => {
    const store = createManifestStore({ redis, prefix, refreshMs: 60_000, logger: silent });
    try {
      await publishManifest(
        redis,
        manifest([
          ['top', '{ topProducts { name } }'],
          ['me', '{ user(id: "1") { id } }'],
        ]),
        prefix,
      );
      await store.refresh();
      expect(store.loaded()).toBe(true);
      expect(store.body('top')).toBe('{ topProducts { name } }');
      expect(store.isTrusted('{ user(id: "1") { id } }')).toBe(true);
      expect(store.isTrusted('{ users { edges { node { email } } } }')).toBe(false);

      await publishManifest(redis, manifest([['top-v2', '{ topProducts(first: 3) { name } }']]), prefix);
      await store.refresh();
      expect(store.body('top')).toBeUndefined();
      expect(store.body('top-v2')).toBe('{ topProducts(first: 3) { name } }');
    } finally {
      store.close();
    }
  });
});

describe('a manifest Redis loses', () => {
  it('stays in force until a new one is published; publishing an empty manifest is what clears it', async () => {
    const scope = `${prefix}loss:`;
    const store = createManifestStore({ redis, prefix: scope, refreshMs: 60_000, logger: silent });
    try {
      await publishManifest(redis, manifest([['top', '{ topProducts { name } }']]), scope);
      await store.refresh();
      // A Redis restart without persistence, or an eviction: the manifest's key is gone.
      await redis.del(`${scope}pq:manifest`);
      await store.refresh();
      expect(store.body('top')).toBe('{ topProducts { name } }');
      await publishManifest(redis, manifest([]), scope);
      await store.refresh();
      expect(store.body('top')).toBeUndefined();
      expect(store.loaded()).toBe(true);
    } finally {
      store.close();
    }
  });

  it('reads as empty for a gateway that starts before anything was published', async () => {
    const store = createManifestStore({ redis, prefix: `${prefix}never:`, refreshMs: 60_000, logger: silent });
    try {
      await store.refresh();
      expect(store.loaded()).toBe(true);
      expect(store.isTrusted('{ __typename }')).toBe(false);
    } finally {
      store.close();
    }
  });
});

describe('a first manifest read that fails', () => {
  it('is retried soon, not at the next refresh', async () => {
    const scope = `${prefix}first:`;
    await publishManifest(redis, manifest([['top', '{ topProducts { name } }']]), scope);
    const client = new Redis(redisUrl, { commandTimeout: 50, maxRetriesPerRequest: 0 });
    await new Promise((resolve) => client.once('ready', resolve));
    // Every client's commands wait 300 ms: the store's first read times out.
    await redis.call('CLIENT', 'PAUSE', '300', 'ALL');
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push((JSON.parse(line) as { msg: string }).msg) });
    const store = createManifestStore({ redis: client, prefix: scope, refreshMs: 60_000, logger });
    try {
      await vi.waitFor(() => expect(warnings).toContain('redis unavailable: keeping the last persisted query manifest'), {
        timeout: 5_000,
      });
      expect(store.loaded()).toBe(false);
      await vi.waitFor(() => expect(store.body('top')).toBe('{ topProducts { name } }'), { timeout: 5_000, interval: 50 });
    } finally {
      store.close();
      client.disconnect();
    }
  });
});

describe('createDeveloperKeyCheck', () => {
  it('accepts exactly the configured keys', () => {
    const isDeveloper = createDeveloperKeyCheck(['k-one', 'k-two']);
    expect(isDeveloper('k-one')).toBe(true);
    expect(isDeveloper('k-two')).toBe(true);
    fc.assert(fc.property(fc.string(), (presented) => isDeveloper(presented) === ['k-one', 'k-two'].includes(presented)));
    expect(isDeveloper(undefined)).toBe(false);
    expect(createDeveloperKeyCheck([])('')).toBe(false);
  });
});

describe('trusted documents through the gateway (enforce)', () => {
  const listed = { id: 'typename-v1', body: '{ __typename }' };
  const expensive =
    '{ users(first: 100) { edges { node { reviews(first: 100) { edges { node { product { reviews(first: 100) { edges { node { id } } } } } } } } } } }';
  let gateway: TestGateway;
  beforeAll(async () => {
    await publishManifest(redis, manifest([[listed.id, listed.body]]), `${prefix}gw:`);
    gateway = await startTestGateway({
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `${prefix}gw:`,
      PERSISTED_QUERIES_MODE: 'enforce',
      DEVELOPER_KEYS: 'dev-key',
      APQ_GET_MAX_AGE_SECONDS: '120',
    });
    // As a load balancer would: no traffic before the manifest is loaded (the readiness probe says so).
    await untilOwnPartsReady(gateway);
  });
  afterAll(() => gateway?.close());

  it('refuses an unlisted operation as unlisted, before its cost is looked at', async () => {
    const { status, body } = await gateway.post({ query: expensive });
    expect(status).toBe(400);
    expect(body.errors!.map((e) => e.extensions!.code)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
  });

  it('runs a listed operation by its id, and anything for a developer key', async () => {
    const byId = await gateway.post({ extensions: { persistedQuery: { version: 1, sha256Hash: listed.id } } });
    expect(byId.body).toEqual({ data: { __typename: 'Query' } });
    const developer = await gateway.post({ query: '{ __typename two: __typename }' }, { 'x-tessera-developer-key': 'dev-key' });
    expect(developer.body.data).toEqual({ __typename: 'Query', two: 'Query' });
    const wrongKey = await gateway.post({ query: '{ __typename two: __typename }' }, { 'x-tessera-developer-key': 'guess' });
    expect(wrongKey.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
  });

  it("gives a hash that is not the text's its own code", async () => {
    const { status, body } = await gateway.post({
      query: listed.body,
      extensions: { persistedQuery: { version: 1, sha256Hash: sha256('other') } },
    });
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_HASH_MISMATCH');
  });

  it('lets a CDN cache a successful GET by hash', async () => {
    const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: listed.id } });
    const response = await fetch(`${gateway.url}/graphql?extensions=${encodeURIComponent(extensions)}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
    expect(response.headers.get('cache-control')).toBe('public, max-age=120');
    // Each changes the answer: the media type (and so the status), the caller, and the developer key (in enforce mode).
    expect(response.headers.get('vary')).toBe('accept, authorization, x-tessera-developer-key');
  });
});

function manifest(operations: Array<[string, string]>) {
  return {
    format: 'apollo-persisted-query-manifest' as const,
    version: 1 as const,
    operations: operations.map(([id, body]) => ({ id, body })),
  };
}
