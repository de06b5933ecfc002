import { Redis } from 'ioredis';

/** Options of {@link pingRedis}. */
export interface PingRedisOptions {
  /** Give up (reject) after this long. @default 2_000 */
  timeoutMs?: number;
}

/**
 * Sends `PING` (after `AUTH` when the URL has credentials) to the Redis server of `url` on a
 * connection of its own and resolves with its reply, `'PONG'`. Rejects at once when the
 * server is unreachable (e.g. `ECONNREFUSED` while stopped) or answers with an error.
 */
export async function pingRedis(url: string, { timeoutMs = 2_000 }: PingRedisOptions = {}): Promise<string> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // ioredis rejects connect() with a generic "Connection is closed."; the cause (such as
  // ECONNREFUSED) arrives as an 'error' event first, and is what callers want to see.
  let cause: Error | undefined;
  redis.on('error', (error: Error) => (cause ??= error));
  try {
    await redis.connect();
    return await redis.ping();
  } catch (error) {
    throw cause ?? error;
  } finally {
    redis.disconnect();
  }
}
