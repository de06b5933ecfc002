import type { GraphQLDataSource } from '@apollo/gateway';
import type { ApolloServerPlugin } from '@apollo/server';
import { ActionUnavailableError, type CacheTag, type Logger, type RedisClient } from '@tessera/service-kit';
import type { Registry } from 'prom-client';
import { createCacheControlPlugin } from './cache-control.js';
import { CachingDataSource, type CacheContext, type CacheModel } from './caching-data-source.js';
import { createCacheMetrics } from './metrics.js';
import { createOperationPolicies } from './operation-policies.js';
import { createResponseCachePlugin, type ResponseCacheContext } from './response-cache.js';
import { createCacheStore } from './store.js';

/** How the caches are configured (`CACHE_*`). */
export interface CacheSettings {
  /** `on`: entity, root-field and whole-response caches in Redis; `off`: only `Cache-Control` from the hints. */
  mode: 'on' | 'off';
  /** Per-type caps on `maxAge`, in seconds (`CACHE_TTL_OVERRIDES`). @default none */
  ttlOverrides?: ReadonlyMap<string, number>;
  /** Largest entry kept, in bytes. @default 262_144 */
  maxEntryBytes?: number;
  /** An `_entities` fetch of more representations goes uncached. @default 500 */
  maxEntitiesPerFetch?: number;
  /** The longest `max-age` of `Cache-Control` on GET answers. @default 60 */
  httpMaxAgeSeconds?: number;
  /** `x-tessera-cache` on answers (development). @default false */
  debugHeader?: boolean;
}

/** Options of {@link createCache}. */
export interface CacheOptions {
  settings: CacheSettings;
  /** The Redis the entries are kept in, shared by every replica (none: the caches are off). */
  redis?: RedisClient;
  keyPrefix: string;
  /** The supergraph being served: its API schema and hints. */
  model: () => CacheModel | undefined;
  /** Request headers that can change an answer, named in `Vary`. */
  varyHeaders: string[];
  logger: Logger;
  registry?: Registry;
}

/** The caches as the gateway wires them. */
export interface Cache<C extends ResponseCacheContext> {
  /** A subgraph's data source, through the entity and root-field caches (as it is when they are off). */
  wrap(service: string, source: GraphQLDataSource<CacheContext>): GraphQLDataSource<CacheContext>;
  /** The whole-response cache (when on) and `Cache-Control` (always): after authorization, in Apollo's plugin list. */
  plugins: Array<ApolloServerPlugin<C>>;
  /** The internal listener's `POST /cache/invalidate` (when on). */
  actions: Record<string, (body: unknown) => Promise<unknown>>;
}

/**
 * The gateway's caches in the shared Redis: entities and root fields per subgraph fetch
 * (`CachingDataSource`), whole public answers (`createResponseCachePlugin`), invalidated by
 * generation counters that every write bumps, and `Cache-Control` for HTTP caches. What is kept
 * and for how long comes from the `@cacheControl` hints in the subgraph schemas.
 */
export function createCache<C extends ResponseCacheContext>({
  settings,
  redis,
  keyPrefix,
  model,
  varyHeaders,
  logger,
  registry,
}: CacheOptions): Cache<C> {
  const ttlOverrides = settings.ttlOverrides ?? new Map<string, number>();
  const policyOf = createOperationPolicies({ model, ttlOverrides });
  const cacheControl = createCacheControlPlugin<C>({
    policyOf,
    maxAgeSeconds: settings.httpMaxAgeSeconds,
    varyHeaders,
    debugHeader: settings.debugHeader,
  });
  if (settings.mode === 'off' || !redis) return { wrap: (_service, source) => source, plugins: [cacheControl], actions: {} };

  const metrics = createCacheMetrics(registry);
  const store = createCacheStore({ redis, keyPrefix, maxEntryBytes: settings.maxEntryBytes, logger, metrics });
  const invalidate = async (tags: readonly CacheTag[], source: 'subgraph' | 'operator') => {
    const outcome = await store.invalidate(tags);
    metrics.invalidations.inc({ source }, tags.length);
    if (outcome === 'held') logger.error({ tags }, 'cache tags not bumped in redis: held and retried, lookups are misses until then');
    return outcome;
  };
  return {
    wrap: (service, source) =>
      new CachingDataSource(service, source, {
        store,
        model,
        keyPrefix,
        ttlOverrides,
        maxEntitiesPerFetch: settings.maxEntitiesPerFetch,
        metrics,
        invalidate: async (tags) => void (await invalidate(tags, 'subgraph')),
      }),
    plugins: [createResponseCachePlugin<C>({ store, policyOf, keyPrefix, metrics }), cacheControl],
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

/**
 * What an operator asks to invalidate: `{"all": true}`, `{"types": ["Product"]}` (every entry of
 * a type, entities included) or `{"entities": [{"type": "Product", "id": "…"}]}`, any together.
 * Anything else is a `RangeError` (400).
 */
function operatorTags(body: unknown): CacheTag[] {
  const { all, types = [], entities = [] } = (body ?? {}) as { all?: unknown; types?: unknown; entities?: unknown };
  const validTypes = Array.isArray(types) && types.every((type) => typeof type === 'string');
  const validEntities = Array.isArray(entities) && entities.every((e) => typeof e?.type === 'string' && typeof e?.id === 'string');
  if (!validTypes || !validEntities || (all !== undefined && typeof all !== 'boolean')) {
    throw new RangeError('expected {"all": true}, {"types": ["Type"]} or {"entities": [{"type": "Type", "id": "…"}]}');
  }
  const tags: CacheTag[] = [
    ...(all ? [{ kind: 'all' } as const] : []),
    ...(types as string[]).flatMap((type) => [{ kind: 'flush', type } as const, { kind: 'type', type } as const]),
    ...(entities as Array<{ type: string; id: string }>).flatMap(({ type, id }) => [
      { kind: 'entity', type, id } as const,
      { kind: 'type', type } as const,
    ]),
  ];
  if (tags.length === 0) throw new RangeError('nothing to invalidate: give all, types or entities');
  return tags;
}
