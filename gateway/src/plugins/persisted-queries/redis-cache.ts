import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import type { Logger } from '@tessera/service-kit';
import type { Redis } from 'ioredis';

/** Options of {@link createRedisCache}. */
export interface RedisCacheOptions {
  /** A connected ioredis client, created and closed by the caller. */
  redis: Redis;
  /** Prepended to every key, so several deployments can share one Redis. @default 'tessera:' */
  prefix?: string;
  logger: Logger;
}

/**
 * An Apollo `KeyValueCache` on Redis that never fails a request: when Redis is down or
 * slow (the client's `commandTimeout` bounds every call), `get` answers "not cached" and
 * `set`/`delete` are skipped, each logged. For persisted queries that means text-bearing
 * requests are served and hash-only ones get PERSISTED_QUERY_NOT_FOUND, so clients resend the text.
 */
export function createRedisCache({ redis, prefix = 'tessera:', logger }: RedisCacheOptions): KeyValueCache<string> {
  const warn = (operation: string, key: string, error: unknown) =>
    logger.warn({ err: error, operation, key: prefix + key }, 'redis unavailable: persisted query cache skipped');
  return {
    async get(key) {
      try {
        return (await redis.get(prefix + key)) ?? undefined;
      } catch (error) {
        warn('get', key, error);
        return undefined;
      }
    },
    async set(key, value, options?: KeyValueCacheSetOptions) {
      try {
        if (options?.ttl) await redis.set(prefix + key, value, 'EX', Math.max(1, Math.round(options.ttl)));
        else await redis.set(prefix + key, value);
      } catch (error) {
        warn('set', key, error);
      }
    },
    async delete(key) {
      try {
        await redis.del(prefix + key);
      } catch (error) {
        warn('delete', key, error);
      }
    },
  };
}
