import {
  ActionUnavailableError,
  decodePosition,
  GENERATION_TTL_SECONDS,
  latestWriteKey,
  ON_PRIMARY,
  raisePosition,
  type CacheTag,
  type Logger,
  type RedisClient,
} from '@tessera/service-kit';
import type { Registry } from 'prom-client';
import { withDefaults } from '../../options.js';
import type { GatewayContext, GatewayFeature } from '../../pipeline/index.js';
import { createCacheControlPlugin } from './cache-control.js';
import { CachingDataSource, type CacheModel } from './caching-data-source.js';
import { readCacheHints } from './hints.js';
import { createCacheMetrics } from './metrics.js';
import { createOperationPolicies } from './operation-policies.js';
import { operatorTags } from './operator-tags.js';
import { createResponseCachePlugin } from './response-cache.js';
import { createCacheStore } from './store.js';

/** How the caches are configured (`CACHE_*`, `APQ_GET_MAX_AGE_SECONDS`). */
export interface CacheSettings {
  /** `on`: entity, root-field and whole-response caches in Redis; `off`: only `Cache-Control` from the hints. @default 'off' (the configuration: on with a Redis) */
  mode: 'on' | 'off';
  /** Per-type caps on `maxAge`, in seconds (`CACHE_TTL_OVERRIDES`). @default none */
  ttlOverrides: ReadonlyMap<string, number>;
  /** Largest entry kept, in bytes. @default 262_144 */
  maxEntryBytes: number;
  /** An `_entities` fetch of more representations goes uncached. @default 500 */
  maxEntitiesPerFetch: number;
  /** The longest `max-age` of `Cache-Control` on GET answers. @default 60 */
  httpMaxAgeSeconds: number;
  /** `x-tessera-cache` on answers (development). @default false */
  debugHeader: boolean;
}

/** Every default of the caches, written once. */
export const CACHE_DEFAULTS: CacheSettings = {
  mode: 'off',
  ttlOverrides: new Map(),
  maxEntryBytes: 262_144,
  maxEntitiesPerFetch: 500,
  httpMaxAgeSeconds: 60,
  debugHeader: false,
};

/** Options of {@link createCache}: the settings (each defaulting as {@link CACHE_DEFAULTS}) and what the caches work with. */
export interface CacheOptions extends Partial<CacheSettings> {
  /** The Redis the entries are kept in, shared by every replica (none: the caches are off). */
  redis?: RedisClient;
  keyPrefix: string;
  /** Request headers that can change an answer, named in `Vary`. */
  varyHeaders: readonly string[];
  /** Whether authorization took something out of an operation (such answers are the caller's alone). */
  filtered: (context: GatewayContext) => boolean;
  logger: Logger;
  registry?: Registry;
}

/** The subgraphs' last write positions in Redis, which cache fills must read at or past (service-kit's write-positions). */
function writePositions(redis: RedisClient, keyPrefix: string, logger: Logger) {
  return {
    latestWrite: async (subgraph: string) => {
      try {
        return decodePosition(await redis.get(latestWriteKey(keyPrefix, subgraph)));
      } catch {
        return ON_PRIMARY;
      }
    },
    written: (subgraph: string, lsn: bigint) =>
      raisePosition(redis, latestWriteKey(keyPrefix, subgraph), lsn, GENERATION_TTL_SECONDS * 1_000).catch((error: unknown) =>
        logger.warn({ err: error, subgraph }, "a subgraph's write position was not kept in redis"),
      ),
  };
}

/**
 * The gateway's caches in the shared Redis: entities and root fields per subgraph fetch
 * (`CachingDataSource`), whole public answers (`createResponseCachePlugin`), invalidated by
 * generation counters that every write bumps, and `Cache-Control` for HTTP caches. What is kept
 * and for how long comes from the `@cacheControl` hints of the supergraph being served.
 */
export function createCache({ redis, keyPrefix, varyHeaders, filtered, logger, registry, ...given }: CacheOptions): GatewayFeature {
  const settings = withDefaults(CACHE_DEFAULTS, given);
  let model: CacheModel | undefined;
  const onSupergraph = ({ sdl, apiSchema }: { sdl: string; apiSchema: CacheModel['schema'] }) =>
    (model = { schema: apiSchema, hints: readCacheHints(sdl) });
  const policyOf = createOperationPolicies({ model: () => model, ttlOverrides: settings.ttlOverrides });
  const on = settings.mode === 'on' && redis !== undefined;
  const counts = createRequestCounts(on && settings.debugHeader);
  const cacheControl = createCacheControlPlugin({
    policyOf,
    maxAgeSeconds: settings.httpMaxAgeSeconds,
    varyHeaders,
    filtered,
    countsOf: counts.of,
  });
  if (!on) return { name: 'cache', plugins: [cacheControl], onSupergraph };

  const metrics = createCacheMetrics(registry);
  const store = createCacheStore({ redis, keyPrefix, maxEntryBytes: settings.maxEntryBytes, logger, metrics });
  const invalidate = async (tags: readonly CacheTag[], source: 'subgraph' | 'operator') => {
    const outcome = await store.invalidate(tags);
    metrics.invalidations.inc({ source }, tags.length);
    if (outcome === 'held') logger.error({ tags }, 'cache tags not bumped in redis: held and retried, lookups are misses until then');
    return outcome;
  };
  const { ttlOverrides, maxEntitiesPerFetch } = settings;
  const subgraphOptions = {
    store,
    model: () => model,
    keyPrefix,
    ttlOverrides,
    maxEntitiesPerFetch,
    metrics,
    count: counts.add,
    ...writePositions(redis, keyPrefix, logger),
  };
  return {
    name: 'cache',
    onSupergraph,
    wrapSubgraph: (subgraph, source) =>
      new CachingDataSource(subgraph, source, {
        ...subgraphOptions,
        invalidate: async (tags) => void (await invalidate(tags, 'subgraph')),
      }),
    plugins: [createResponseCachePlugin({ store, policyOf, keyPrefix, metrics, filtered, count: counts.add }), cacheControl],
    actions: {
      '/cache/invalidate': async (body) => {
        const tags = operatorTags(body);
        if ((await invalidate(tags, 'operator')) === 'held')
          throw new ActionUnavailableError('redis did not take the invalidation: this gateway holds and retries it; ask again');
        return { invalidated: tags.length };
      },
    },
  };
}

/** Entries served from the caches, and fetched, while answering each request (only `counting`: for `x-tessera-cache`). */
function createRequestCounts(counting: boolean) {
  const counts = new WeakMap<object, { hits: number; misses: number }>();
  return {
    add: (context: object, hit: boolean) => {
      if (!counting) return;
      const entry = counts.get(context) ?? { hits: 0, misses: 0 };
      entry[hit ? 'hits' : 'misses'] += 1;
      counts.set(context, entry);
    },
    of: counting ? (context: GatewayContext) => counts.get(context) ?? { hits: 0, misses: 0 } : undefined,
  };
}
