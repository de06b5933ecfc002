import { generationKey, MAX_ENTRY_TTL_SECONDS, readGeneration, type CacheTag, type Logger, type RedisClient } from '@tessera/service-kit';
import type { EntryAddress } from './entries.js';
import { createHeldInvalidations } from './held-invalidations.js';
import type { CacheMetrics } from './metrics.js';

/** What a lookup found for one entry. */
export interface Lookup {
  /** The entry's value, when it is there and every tag it hangs on is at the generation it was stored under. */
  value?: unknown;
  /** An entry was there, but a tag had moved on since (a write): what a stale read would have served. */
  stale: boolean;
  /**
   * The tags' generations now: a fill of this entry is stored under them (read before the fetch,
   * so a write during the fetch makes the fill stale). `null` where Redis did not say: such a
   * lookup is not filled.
   */
  generations: ReadonlyArray<string | null>;
}

/** A value to keep, at the address it was looked up at, under the generations the lookup read. */
export interface Fill {
  address: EntryAddress;
  generations: ReadonlyArray<string | null>;
  value: unknown;
  ttlSeconds: number;
  /** Which cache and subgraph the bytes are counted for (`-` for whole responses). */
  cache: 'entity' | 'root' | 'response';
  subgraph: string;
  /** The entity's type (`-` for root fields and whole responses). */
  type: string;
}

/** The entries of the gateway's caches in Redis. */
export interface CacheStore {
  /** Reads the entries and their tags' generations, all at once. Redis down or slow: every entry a miss, never an error. */
  lookup(addresses: readonly EntryAddress[]): Promise<Lookup[]>;
  /** Keeps the values, each until its TTL, unless too large; failures are dropped (the next read is a miss). */
  fill(fills: readonly Fill[]): Promise<void>;
  /**
   * Bumps the tags' generations. When Redis does not take them, they are held and retried
   * until it does, and until then every lookup is a miss and nothing is filled: this gateway
   * never serves what a write it saw changed. Resolves `held` then (an operator is told).
   */
  invalidate(tags: readonly CacheTag[]): Promise<'bumped' | 'held'>;
}

/** Options of {@link createCacheStore}. */
export interface CacheStoreOptions {
  /** A connected client (`connectRedis`): one Redis, or a Cluster. */
  redis: RedisClient;
  /** Prefix of every key (the tags' generations are under it too). */
  keyPrefix: string;
  /** Largest entry kept, in bytes of JSON. @default 262_144 */
  maxEntryBytes?: number;
  /** After a failed command, how long Redis is left alone (every lookup a miss), and how often held invalidations are retried. @default 1_000 */
  pauseMs?: number;
  /** Held invalidations beyond this many tags become one invalidation of everything. @default 10_000 */
  maxHeldTags?: number;
  logger: Logger;
  metrics: CacheMetrics;
}

/** A stored entry: the value, and the generations of its tags when its data was read. */
interface Stored {
  g: ReadonlyArray<string | null>;
  v: unknown;
}

/**
 * Entries as JSON under their keys, each checked against its tags' generation counters (see
 * `service-kit/cache-tags.ts`): a lookup GETs every entry and every generation in one round trip
 * — ioredis pipelines the commands; on a Cluster it sends each to its node, so no multi-key
 * command has to fit one hash slot. Redis slow or gone never stalls a request: commands are bounded
 * by the client's `commandTimeout`, and after a failure lookups are misses for `pauseMs` without
 * asking (a breaker); fills are skipped meanwhile. Invalidations Redis did not take are held and
 * retried, and lookups are misses until they are in.
 */
export function createCacheStore({
  redis,
  keyPrefix,
  maxEntryBytes = 262_144,
  pauseMs = 1_000,
  maxHeldTags = 10_000,
  logger,
  metrics,
}: CacheStoreOptions): CacheStore {
  const breaker = createBreaker({ redis, pauseMs, logger, metrics });
  const keyOfTag = memoizedGenerationKeys(keyPrefix);
  const invalidations = createHeldInvalidations({
    redis,
    keyPrefix,
    retryMs: pauseMs,
    maxHeldTags,
    failed: (error) => breaker.failed(error, 'invalidation'),
    heldTags: (count) => metrics.heldTags.set(count),
  });
  // Nothing is read from the cache or put in it while Redis is left alone or an invalidation waits for it.
  const usable = () => breaker.available() && !invalidations.pending;

  return {
    async lookup(addresses) {
      const genKeys = new Map<string, number>();
      const tagIndexes = addresses.map(({ tags }) => tags.map((tag) => indexOf(genKeys, keyOfTag(tag))));
      if (!usable()) return misses(tagIndexes);
      let answers: Array<string | null>;
      try {
        answers = await Promise.all([
          ...addresses.map(({ key }) => redis.get(key)),
          ...[...genKeys.keys()].map((key) => readGeneration(redis, key)),
        ]);
      } catch (error) {
        breaker.failed(error, 'lookup');
        return misses(tagIndexes);
      }
      return lookupsOf(answers.slice(0, addresses.length), answers.slice(addresses.length), tagIndexes);
    },
    async fill(fills) {
      if (!usable()) return;
      const writes = writeFills(redis, fills, maxEntryBytes, metrics);
      try {
        await Promise.all(writes);
      } catch (error) {
        breaker.failed(error, 'fill');
      }
    },
    invalidate: (tags) => invalidations.invalidate(tags),
  };
}

/** Whether Redis is asked at all: after a failed command it is left alone for `pauseMs` (every lookup a miss), and the first failure of a pause is logged. */
interface Breaker {
  /** A command failed (`what`: lookup, fill, invalidation): Redis is left alone for a while. */
  readonly failed: (error: unknown, what: string) => void;
  /** Not paused, and the client is connected. */
  readonly available: () => boolean;
}

function createBreaker({
  redis,
  pauseMs,
  logger,
  metrics,
}: {
  redis: RedisClient;
  pauseMs: number;
  logger: Logger;
  metrics: CacheMetrics;
}): Breaker {
  let pausedUntil = 0;
  return {
    failed: (error, what) => {
      if (Date.now() >= pausedUntil) logger.warn({ err: error }, `cache ${what} failed: reads are misses for a while`);
      pausedUntil = Date.now() + pauseMs;
      metrics.errors.inc();
    },
    available: () => Date.now() >= pausedUntil && redis.status === 'ready',
  };
}

/** Every entry a miss, with no generations read (so none is filled). */
function misses(tagIndexes: ReadonlyArray<readonly number[]>): Lookup[] {
  return tagIndexes.map((indexes) => ({ stale: false, generations: indexes.map(() => null) }));
}

/**
 * Each entry's lookup from what Redis answered: its stored text, and the generations now of the
 * tags it hangs on (`tagIndexes[i]`: their positions in `generationsNow`). An entry stored under
 * other generations is stale.
 */
function lookupsOf(
  texts: ReadonlyArray<string | null>,
  generationsNow: ReadonlyArray<string | null>,
  tagIndexes: ReadonlyArray<readonly number[]>,
): Lookup[] {
  return tagIndexes.map((indexes, i) => {
    const generations = indexes.map((index) => generationsNow[index] ?? null);
    const stored = parse(texts[i] ?? null);
    if (!stored) return { stale: false, generations };
    const current = stored.g.length === generations.length && stored.g.every((g, j) => g === generations[j]);
    return current ? { value: stored.v, stale: false, generations } : { stale: true, generations };
  });
}

/** Starts the writes of the fills worth keeping: every generation known, within `maxEntryBytes`, a TTL left; counts their bytes. */
function writeFills(redis: RedisClient, fills: readonly Fill[], maxEntryBytes: number, metrics: CacheMetrics): Array<Promise<unknown>> {
  const writes: Array<Promise<unknown>> = [];
  for (const { address, generations, value, ttlSeconds, cache, subgraph, type } of fills) {
    if (generations.includes(null)) continue;
    const text = JSON.stringify({ g: generations, v: value } satisfies Stored);
    const bytes = Buffer.byteLength(text);
    if (bytes > maxEntryBytes || ttlSeconds <= 0) continue;
    metrics.storedBytes.inc({ cache, subgraph, type }, bytes);
    writes.push(redis.set(address.key, text, 'EX', Math.min(Math.ceil(ttlSeconds), MAX_ENTRY_TTL_SECONDS)));
  }
  return writes;
}

/**
 * `generationKey` remembered per tag (it hashes: a lookup of a page of entities asks for the same
 * few type, flush and all tags again and again). Keyed by the tag's own fields, nested, so no two
 * tags share an entry; forgotten wholesale past `max` tags.
 */
export function memoizedGenerationKeys(keyPrefix: string, max = 100_000): (tag: CacheTag) => string {
  let known = new Map<string, Map<string, string>>();
  let size = 0;
  return (tag) => {
    const outer = `${tag.kind}:${'type' in tag ? tag.type.length : -1}:${'type' in tag ? tag.type : ''}`;
    const inner = 'id' in tag ? tag.id : '';
    let ids = known.get(outer);
    let key = ids?.get(inner);
    if (key !== undefined) return key;
    if (size >= max) [known, size] = [new Map<string, Map<string, string>>(), 0];
    if (!ids) known.set(outer, (ids = new Map<string, string>()));
    ids.set(inner, (key = generationKey(keyPrefix, tag)));
    size += 1;
    return key;
  };
}

function indexOf(positions: Map<string, number>, key: string): number {
  let index = positions.get(key);
  if (index === undefined) positions.set(key, (index = positions.size));
  return index;
}

function parse(text: string | null): Stored | undefined {
  if (text === null) return undefined;
  try {
    const stored = JSON.parse(text) as Stored;
    return Array.isArray(stored.g) ? stored : undefined;
  } catch {
    return undefined;
  }
}
