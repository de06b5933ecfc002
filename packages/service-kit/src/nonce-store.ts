import type { RedisClient } from './redis.js';
import type { Logger } from 'pino';
import { createMemoryNonceStore, type NonceStore } from './request-signing.js';

/** Options of {@link createRedisNonceStore}. */
export interface RedisNonceStoreOptions {
  /** A connected client (`connectRedis`), shared by every replica of the subgraph. */
  redis: RedisClient;
  /** Prefix of the Redis keys. */
  keyPrefix: string;
  logger: Logger;
}

/**
 * Nonces remembered by every replica at once: `SET NX` with the signature window as its TTL,
 * so a captured request replayed to another replica within the window is refused there too.
 * This process's memory is asked first (a replay to it costs no round trip) and decides alone
 * while Redis does not answer — replicas then each refuse what they saw themselves, as without
 * Redis — rather than refusing the gateway.
 */
export function createRedisNonceStore({ redis, keyPrefix, logger }: RedisNonceStoreOptions): NonceStore {
  const local = createMemoryNonceStore();
  let degraded = false;
  return {
    async claim(nonce, ttlMs) {
      if (!local.claim(nonce, ttlMs)) return false;
      try {
        const first = (await redis.set(`${keyPrefix}nonce:${nonce}`, '1', 'PX', ttlMs, 'NX')) === 'OK';
        degraded = false;
        return first;
      } catch (error) {
        if (!degraded) logger.warn({ err: error }, 'redis unavailable: request nonces checked by this replica alone');
        degraded = true;
        return true;
      }
    },
  };
}
