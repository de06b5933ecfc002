import type { Logger } from 'pino';
import { Redis } from 'ioredis';

/**
 * A Redis client that fails fast instead of queueing while disconnected (so a request
 * never waits on a dead Redis), bounds every command by `timeoutMs`, and reconnects by
 * itself in the background. Made once in a service's start-up and passed to what uses it.
 */
export function connectRedis(url: string, timeoutMs: number, logger: Logger): Redis {
  const redis = new Redis(url, {
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(timeoutMs, 1_000),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let down = false;
  redis.on('error', (error) => {
    if (!down) logger.warn({ err: error }, 'redis connection error: what uses it degrades until it returns');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info('redis connection restored');
    down = false;
  });
  return redis;
}
