/** The cache store on the test Redis: generations decide what is served; a Redis that is gone costs misses, never an error. */
import { randomUUID } from 'node:crypto';
import { bumpGenerations, connectRedis } from '@tessera/service-kit';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entityTags, type EntryAddress } from '../src/cache/index.js';
import { createCacheMetrics } from '../src/plugins/cache/metrics.js';
import { createCacheStore } from '../src/plugins/cache/store.js';

const redisUrl = process.env.TEST_REDIS_URL;
if (!redisUrl) throw new Error('TEST_REDIS_URL is not set: run the tests with `pnpm test`, which starts Redis.');
const logger = pino({ level: 'silent' });
const redis = connectRedis({ url: redisUrl, timeoutMs: 500, logger });
beforeAll(async () => {
  // connectRedis does not queue commands while connecting (the gateway counts those as misses); a test waits.
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
});
afterAll(() => redis.quit());

const prefix = () => `store-${randomUUID()}:`;
const address = (keyPrefix: string, id: string): EntryAddress => ({ key: `${keyPrefix}entry:${id}`, tags: entityTags('Product', { __typename: 'Product', id }) });
const fill = (a: EntryAddress, generations: ReadonlyArray<string | null>, value: unknown) => ({ address: a, generations, value, ttlSeconds: 60, cache: 'entity' as const, subgraph: 'products' });

describe('createCacheStore', () => {
  it('serves an entry while its tags keep their generations, stale once a write bumps one', async () => {
    const keyPrefix = prefix();
    const store = createCacheStore({ redis, keyPrefix, logger, metrics: createCacheMetrics(new Registry()) });
    const a = address(keyPrefix, 'p1');
    const [cold] = await store.lookup([a]);
    expect(cold).toEqual({ stale: false, generations: [null, null, null] });
    await store.fill([fill(a, cold!.generations, { name: 'Lamp' })]);
    expect((await store.lookup([a]))[0]).toMatchObject({ value: { name: 'Lamp' }, stale: false });
    await bumpGenerations(redis, keyPrefix, [{ kind: 'entity', type: 'Product', id: 'p1' }]);
    expect((await store.lookup([a]))[0]).toMatchObject({ stale: true, generations: ['1', null, null] });
  });

  it('never serves a fill that raced a write: it is stored under the generation read before the fetch', async () => {
    const keyPrefix = prefix();
    const store = createCacheStore({ redis, keyPrefix, logger, metrics: createCacheMetrics(new Registry()) });
    const a = address(keyPrefix, 'p2');
    const [before] = await store.lookup([a]);
    // The write commits and is bumped while the (old) data is being fetched…
    await bumpGenerations(redis, keyPrefix, [{ kind: 'entity', type: 'Product', id: 'p2' }]);
    // …and the old data is filled afterwards, under what was read before.
    await store.fill([fill(a, before!.generations, { name: 'Old' })]);
    const [after] = await store.lookup([a]);
    expect(after!.value).toBeUndefined();
    expect(after!.stale).toBe(true);
    // An operator's flush of the type and of everything reach entity entries too.
    const b = address(keyPrefix, 'p3');
    await store.fill([fill(b, (await store.lookup([b]))[0]!.generations, 1)]);
    await bumpGenerations(redis, keyPrefix, [{ kind: 'flush', type: 'Product' }]);
    expect((await store.lookup([b]))[0]!.value).toBeUndefined();
  });

  it('keeps nothing larger than maxEntryBytes', async () => {
    const keyPrefix = prefix();
    const store = createCacheStore({ redis, keyPrefix, maxEntryBytes: 2_048, logger, metrics: createCacheMetrics(new Registry()) });
    const a = address(keyPrefix, 'big');
    await store.fill([fill(a, [null, null, null], 'x'.repeat(3_000))]);
    expect((await store.lookup([a]))[0]!.value).toBeUndefined();
    await store.fill([fill(a, [null, null, null], 'x'.repeat(1_000))]);
    expect((await store.lookup([a]))[0]!.value).toBe('x'.repeat(1_000));
  });

  it('answers misses when Redis is not there, and keeps nothing', async () => {
    const registry = new Registry();
    const gone = connectRedis({ url: 'redis://127.0.0.1:9', timeoutMs: 100, logger });
    try {
      const store = createCacheStore({ redis: gone, keyPrefix: 'x:', logger, metrics: createCacheMetrics(registry) });
      const [lookup] = await store.lookup([address('x:', 'p1')]);
      expect(lookup).toEqual({ stale: false, generations: [null, null, null] });
      await store.fill([fill(address('x:', 'p1'), [null, null, null], 1)]);
      const stored = await registry.getSingleMetric('cache_stored_bytes_total')!.get();
      expect(stored.values.reduce((sum, { value }) => sum + value, 0)).toBe(0);
    } finally {
      gone.disconnect();
    }
  });
});
