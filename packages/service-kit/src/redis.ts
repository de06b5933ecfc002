import type { Logger } from 'pino';
import { Cluster, Redis } from 'ioredis';

/** A Redis client: one server, or a Redis Cluster (which ioredis routes each key of to its node). */
export type RedisClient = Redis | Cluster;

/** What a Redis connection and its keys default to (`REDIS_TIMEOUT_MS`, `REDIS_KEY_PREFIX`). */
export const REDIS_DEFAULTS = {
  /** Longest a command may take. */
  timeoutMs: 250,
  /** Prefix of every key, so that several deployments can share one Redis. */
  keyPrefix: 'tessera:',
} as const;

/** Options of {@link connectRedis}. */
export interface RedisConnectionOptions {
  /** `redis://` or `rediss://` URL: the server, or one node of the cluster (the others are discovered). */
  url: string;
  /** Longest a command may take; past it, it fails (and what uses Redis carries on without it). */
  timeoutMs: number;
  /** The URL names a node of a Redis Cluster (`REDIS_CLUSTER`). @default false */
  cluster?: boolean;
  logger: Logger;
}

/**
 * A Redis client that fails fast instead of queueing while disconnected (so a request never
 * waits on a dead Redis), bounds every command by `timeoutMs`, pipelines the commands issued in
 * one tick into one write per node (a cache lookup of many keys is one round trip), and
 * reconnects by itself in the background. Made once in a service's start-up and passed to what
 * uses it. On a Cluster, every key lives on its node and no multi-key command may span slots.
 */
export function connectRedis({ url, timeoutMs, cluster = false, logger }: RedisConnectionOptions): RedisClient {
  const options = {
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(timeoutMs, 1_000),
    maxRetriesPerRequest: 0,
  };
  const redis: RedisClient = cluster
    ? new Cluster([url], {
        enableOfflineQueue: false,
        enableAutoPipelining: true,
        clusterRetryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
        redisOptions: { ...options, ...credentials(url) },
      })
    : new Redis(url, {
        ...options,
        enableOfflineQueue: false,
        enableAutoPipelining: true,
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

/** A cluster URL's password and TLS, for every node (ioredis takes only host and port from a startup node). */
function credentials(url: string): { password?: string; username?: string; tls?: object } {
  const parsed = new URL(url);
  return {
    ...(parsed.password && { password: decodeURIComponent(parsed.password) }),
    ...(parsed.username && { username: decodeURIComponent(parsed.username) }),
    ...(parsed.protocol === 'rediss:' && { tls: {} }),
  };
}
