/** The cache store on the test Redis: generations decide what is served; a Redis that is gone costs misses, never an error. */
import { randomUUID } from 'node:crypto';
import { bumpGenerations, connectRedis, generationKey } from '@tessera/service-kit';
import { waitUntil } from '@tessera/test-helpers';
import fc from 'fast-check';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entityTags, type EntryAddress } from '../../src/features/cache/index.js';
import { createCacheMetrics } from '../../src/features/cache/metrics.js';
import { createCacheStore, memoizedGenerationKeys } from '../../src/features/cache/store.js';

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
const address = (keyPrefix: string, id: string): EntryAddress => ({
  key: `${keyPrefix}entry:${id}`,
  tags: entityTags('Product', { __typename: 'Product', id }),
});
/** The real Redis, refusing INCR until `recover()` (a write's bump lost in a network blip). */
function refusingIncr() {
  let refusing = true;
  const refused = { count: 0 };
  const flaky = new Proxy(redis, {
    get(target, property) {
      if (property === 'incr' && refusing)
        return () => {
          refused.count += 1;
          return Promise.reject(new Error('connection reset'));
        };
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { flaky, refused, recover: () => (refusing = false) };
}
const fill = (a: EntryAddress, generations: ReadonlyArray<string | null>, value: unknown) => ({
  address: a,
  generations,
  value,
  ttlSeconds: 60,
  cache: 'entity' as const,
  subgraph: 'products',
  type: 'Product',
});

describe('createCacheStore', () => {
  it('serves an entry while its tags keep their generations, stale once a write bumps one', async () => {
    const keyPrefix = prefix();
    const store = createCacheStore({ redis, keyPrefix, logger, metrics: createCacheMetrics(new Registry()) });
    const a = address(keyPrefix, 'p1');
    const [cold] = await store.lookup([a]);
    // Counters start where nothing could have recorded them: at random, far from 1, never null.
    expect(cold!.stale).toBe(false);
    for (const generation of cold!.generations) expect(Number(generation)).toBeGreaterThan(2 ** 32);
    await store.fill([fill(a, cold!.generations, { name: 'Lamp' })]);
    const [warm] = await store.lookup([a]);
    expect(warm).toMatchObject({ value: { name: 'Lamp' }, stale: false, generations: cold!.generations });
    await bumpGenerations(redis, keyPrefix, [{ kind: 'entity', type: 'Product', id: 'p1' }]);
    const [after] = await store.lookup([a]);
    expect(after).toMatchObject({ stale: true, generations: [String(Number(cold!.generations[0]) + 1), ...cold!.generations.slice(1)] });
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
    const { generations } = (await store.lookup([a]))[0]!;
    await store.fill([fill(a, generations, 'x'.repeat(3_000))]);
    expect((await store.lookup([a]))[0]!.value).toBeUndefined();
    await store.fill([fill(a, generations, 'x'.repeat(1_000))]);
    expect((await store.lookup([a]))[0]!.value).toBe('x'.repeat(1_000));
  });

  it('answers misses when Redis is not there, and keeps nothing', async () => {
    const registry = new Registry();
    const gone = connectRedis({ url: 'redis://127.0.0.1:9', timeoutMs: 100, logger });
    try {
      const store = createCacheStore({ redis: gone, keyPrefix: 'x:', logger, metrics: createCacheMetrics(registry) });
      const [lookup] = await store.lookup([address('x:', 'p1')]);
      expect(lookup).toEqual({ stale: false, generations: [null, null, null] });
      await store.fill([fill(address('x:', 'p1'), ['1', '1', '1'], 1)]);
      const stored = await registry.getSingleMetric('cache_stored_bytes_total')!.get();
      expect(stored.values.reduce((sum, { value }) => sum + value, 0)).toBe(0);
    } finally {
      gone.disconnect();
    }
  });

  it('serves nothing whose counter was lost (evicted, expired): it starts again somewhere no entry recorded', async () => {
    const keyPrefix = prefix();
    const store = createCacheStore({ redis, keyPrefix, logger, metrics: createCacheMetrics(new Registry()) });
    const a = address(keyPrefix, 'lost');
    await store.fill([fill(a, (await store.lookup([a]))[0]!.generations, 'kept')]);
    expect((await store.lookup([a]))[0]!.value).toBe('kept');
    // A write bumped the counter, then Redis evicted it (maxmemory) before the entry went.
    await bumpGenerations(redis, keyPrefix, [{ kind: 'entity', type: 'Product', id: 'lost' }]);
    await redis.del(generationKey(keyPrefix, { kind: 'entity', type: 'Product', id: 'lost' }));
    expect((await store.lookup([a]))[0]).toMatchObject({ stale: true });
    // A lookup that Redis did not answer is not filled: nothing is stored under unknown generations.
    await store.fill([fill(a, [null, null, null], 'unknown')]);
    expect((await store.lookup([a]))[0]!.value).toBeUndefined();
  });

  it('holds an invalidation Redis did not take, misses until it is in, and then bumps it', async () => {
    const keyPrefix = prefix();
    const registry = new Registry();
    const { flaky, refused, recover } = refusingIncr();
    const store = createCacheStore({ redis: flaky, keyPrefix, pauseMs: 50, logger, metrics: createCacheMetrics(registry) });
    const a = address(keyPrefix, 'p9');
    await store.fill([fill(a, (await store.lookup([a]))[0]!.generations, 'before the write')]);
    expect(await store.invalidate([{ kind: 'entity', type: 'Product', id: 'p9' }])).toBe('held');
    const held = async () => (await registry.getSingleMetric('cache_held_invalidations')!.get()).values[0]!.value;
    expect(await held()).toBe(1);
    // Redis answers GETs, the entry is there with its old generations: still a miss, retry after retry of the bump.
    for (let retries = 1; retries <= 4; retries += 1) {
      const attempts = refused.count;
      await waitUntil(() => refused.count > attempts, { timeoutMs: 5_000, intervalMs: 10, what: `retry ${retries} of the held bump` });
      expect((await store.lookup([a]))[0]).toEqual({ stale: false, generations: [null, null, null] });
    }
    recover();
    await waitUntil(async () => (await held()) === 0, { timeoutMs: 5_000, intervalMs: 20, what: 'the held invalidation to be bumped' });
    await waitUntil(async () => (await store.lookup([a]))[0]!.generations[0] !== null, {
      timeoutMs: 5_000,
      intervalMs: 20,
      what: 'lookups to ask Redis again',
    });
    expect((await store.lookup([a]))[0]).toMatchObject({ stale: true });
  });

  it('turns more held tags than it may keep into one invalidation of everything', async () => {
    const keyPrefix = prefix();
    const { flaky, recover } = refusingIncr();
    const store = createCacheStore({
      redis: flaky,
      keyPrefix,
      pauseMs: 50,
      maxHeldTags: 3,
      logger,
      metrics: createCacheMetrics(new Registry()),
    });
    const other = address(keyPrefix, 'untouched');
    await store.fill([fill(other, (await store.lookup([other]))[0]!.generations, 'other')]);
    const tags = Array.from({ length: 5 }, (_, i) => ({ kind: 'entity' as const, type: 'Product', id: `w${i}` }));
    expect(await store.invalidate(tags)).toBe('held');
    recover();
    // No entity counter of the five was bumped, but everything was: the untouched entry is stale too.
    await waitUntil(async () => (await store.lookup([other]))[0]!.stale, {
      timeoutMs: 5_000,
      intervalMs: 20,
      what: 'everything to be invalidated',
    });
    expect(await redis.exists(generationKey(keyPrefix, tags[0]!))).toBe(0);
  });

  it("remembers generation keys without ever giving one tag another's (generated tags, tiny memory)", () => {
    const part = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom(':', '0:', 'a:b', ''));
    const tag = fc.oneof(
      fc.record({ kind: fc.constant('entity' as const), type: part, id: part }),
      fc.record({ kind: fc.constantFrom('type' as const, 'flush' as const), type: part }),
      fc.constant({ kind: 'all' as const }),
    );
    fc.assert(
      fc.property(fc.array(tag, { maxLength: 40 }), (tags) => {
        const keyOf = memoizedGenerationKeys('p:', 5);
        for (const t of [...tags, ...tags]) expect(keyOf(t)).toBe(generationKey('p:', t));
      }),
    );
  });
});
