import { composeKey, type Logger, type RedisClient } from '@tessera/service-kit';
import { LRUCache } from 'lru-cache';

/** How a key's claim went: first use, the same operation again, another operation's key, or Redis did not say. */
export type ClaimOutcome = 'new' | 'same' | 'other' | 'unknown';

/** Which operation each caller's idempotency key belongs to, as every gateway replica sees it. */
export interface KeyClaims {
  /** Binds the caller's key to `fingerprint` unless it is bound already; says which it was. */
  claim(subject: string | undefined, key: string, fingerprint: string): Promise<ClaimOutcome>;
}

/** Options of {@link createKeyClaims}. */
export interface KeyClaimsOptions {
  /** Shared by every replica when given; each process remembers alone otherwise. */
  redis?: RedisClient;
  /** Prefix of the Redis keys. */
  keyPrefix: string;
  /** How long a key stays bound to its operation (the subgraphs keep its responses as long). @default 86_400 */
  ttlSeconds?: number;
  logger: Logger;
}

/**
 * One key, one operation, across subgraphs. Each subgraph stores a key with its own write, so
 * the key of a `createUser` (users) sent again with a `createProduct` (products) would find no row
 * in products and write again: only the gateway sees the whole operation. So the gateway binds a
 * caller's key to the fingerprint of the first operation it came with — `SET NX` with the
 * subgraphs' 24 hours — and refuses it for any other before anything runs. Where Redis does not
 * answer the claim is `unknown` and the request goes on: each subgraph still refuses a key reused
 * within it, and still writes once.
 */
export function createKeyClaims({ redis, keyPrefix, ttlSeconds = 86_400, logger }: KeyClaimsOptions): KeyClaims {
  const memory = new LRUCache<string, string>({ max: 100_000, ttl: ttlSeconds * 1_000 });
  return {
    async claim(subject, key, fingerprint) {
      const id = `${keyPrefix}idempotency:${composeKey([subject ?? null, key])}`;
      if (!redis) {
        const bound = memory.get(id);
        if (bound === undefined) memory.set(id, fingerprint);
        return bound === undefined ? 'new' : bound === fingerprint ? 'same' : 'other';
      }
      try {
        // SET … NX GET (Redis 7): binds the key if free and answers what it was bound to, in one round trip.
        const bound = (await redis.call('SET', id, fingerprint, 'NX', 'GET', 'EX', String(ttlSeconds))) as string | null;
        return bound === null ? 'new' : bound === fingerprint ? 'same' : 'other';
      } catch (error) {
        logger.warn({ err: error }, 'redis unavailable: idempotency key checked by the subgraphs alone');
        return 'unknown';
      }
    },
  };
}
