import { ErrorsAreMissesCache, PrefixingKeyValueCache, type KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { Logger } from '@tessera/service-kit';
import type { Redis } from 'ioredis';

/** Options of {@link createApqCache}. */
export interface ApqCacheOptions {
  /** A connected ioredis client, created and closed by the caller. */
  redis: Redis;
  /** Prepended to every key, so several deployments can share one Redis. */
  prefix: string;
  logger: Logger;
}

/**
 * Apollo Server's APQ cache on Redis, shared by every gateway replica, that never fails a
 * request: a lookup Redis cannot answer (down, or slower than the client's `commandTimeout`)
 * is a miss, so a hash-only request gets PERSISTED_QUERY_NOT_FOUND and the client resends
 * the text. Apollo Server itself catches and logs a failed registration (`set`).
 */
export function createApqCache({ redis, prefix, logger }: ApqCacheOptions): KeyValueCache<string> {
  const warn = (error: unknown) => logger.warn({ err: error }, 'redis unavailable: persisted query lookup counted as a miss');
  return new PrefixingKeyValueCache(
    new ErrorsAreMissesCache(redisKeyValueCache(redis), { debug: warn, info: warn, warn, error: warn }),
    prefix,
  );
}

/** The three commands a `KeyValueCache` needs, on ioredis (TTLs in whole seconds, at least one). */
function redisKeyValueCache(redis: Redis): KeyValueCache<string> {
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
