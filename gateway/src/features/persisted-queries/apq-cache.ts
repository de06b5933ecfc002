import { ErrorsAreMissesCache, PrefixingKeyValueCache, type KeyValueCache } from '@apollo/utils.keyvaluecache';
import { createMemoryKeyValueCache, type Logger, type RedisClient } from '@tessera/service-kit';
import { PERSISTED_QUERIES_DEFAULTS } from './settings.js';

/** Options of {@link createApqCache}. */
export interface ApqCacheOptions {
  /** A connected ioredis client, created and closed by the caller; without one, an in-memory LRU per process. */
  redis?: RedisClient;
  /** Prepended to every Redis key, so several deployments can share one Redis. */
  prefix: string;
  /** Largest query text registered, in UTF-8 bytes; a longer one runs but is not stored. @default 131_072 */
  maxBytes?: number;
  logger: Logger;
}

/**
 * Apollo Server's APQ cache. On Redis it is shared by every gateway replica and never fails a
 * request: a lookup Redis cannot answer (down, or slower than the client's `commandTimeout`)
 * is a miss, so a hash-only request gets PERSISTED_QUERY_NOT_FOUND and the client resends the
 * text; Apollo Server itself catches and logs a failed registration. Either way a query text
 * over `maxBytes` is served but not registered, so registrations cannot fill the cache with
 * huge documents (the client keeps sending its text).
 */
export function createApqCache({
  redis,
  prefix,
  maxBytes = PERSISTED_QUERIES_DEFAULTS.apqMaxBytes,
  logger,
}: ApqCacheOptions): KeyValueCache<string> {
  const warn = (error: unknown) => logger.warn({ err: error }, 'redis unavailable: persisted query lookup counted as a miss');
  const store = redis
    ? new PrefixingKeyValueCache(
        new ErrorsAreMissesCache(redisKeyValueCache(redis), { debug: warn, info: warn, warn, error: warn }),
        prefix,
      )
    : // Without Redis, each process keeps its own, bounded by what the texts add up to (Apollo's own default bound, 30 MiB).
      createMemoryKeyValueCache<string>({ maxSize: 30 * 1_048_576 });
  return {
    get: (key) => store.get(key),
    delete: (key) => store.delete(key),
    set: async (key, value, options) => {
      if (Buffer.byteLength(value) > maxBytes) {
        logger.debug({ bytes: Buffer.byteLength(value), maxBytes }, 'persisted query too large to register: served, not stored');
        return;
      }
      await store.set(key, value, options);
    },
  };
}

/** The three commands a `KeyValueCache` needs, on ioredis (TTLs in whole seconds, at least one). */
function redisKeyValueCache(redis: RedisClient): KeyValueCache<string> {
  return {
    get: async (key) => (await redis.get(key)) ?? undefined,
    set: async (key, value, options) => {
      if (options?.ttl) await redis.set(key, value, 'EX', Math.max(1, Math.round(options.ttl)));
      else await redis.set(key, value);
    },
    delete: async (key) => {
      await redis.del(key);
    },
  };
}
