import type { Logger, RedisClient } from '@tessera/service-kit';
import { sha256, type PersistedQueryManifest } from './manifest.js';
import { PERSISTED_QUERIES_DEFAULTS } from './settings.js';

/** Redis hash holding the published manifest: field = operation id, value = body. */
const MANIFEST_KEY = 'pq:manifest';
/**
 * A field of the same hash written with every publication, so that an empty manifest (a hash
 * with only this field) is told apart from a manifest Redis lost (a restart without
 * persistence, an eviction). No operation id holds U+0000. One key for both, so a publication
 * and a read are one transaction on one hash slot of a Redis Cluster too.
 */
const PUBLISHED_FIELD = '\u0000published';

/** Writes a manifest into Redis, replacing the previous one in one transaction. */
export async function publishManifest(redis: RedisClient, manifest: PersistedQueryManifest, prefix: string): Promise<number> {
  const key = prefix + MANIFEST_KEY;
  const published = JSON.stringify({ at: new Date().toISOString(), operations: manifest.operations.length });
  await redis
    .multi()
    .del(key)
    .hset(key, PUBLISHED_FIELD, published, ...manifest.operations.flatMap((op) => [op.id, op.body]))
    .exec();
  return manifest.operations.length;
}

/** The trusted operations as one gateway knows them. */
export interface ManifestStore {
  /** Body of the operation with this manifest id, if published. */
  body(id: string): string | undefined;
  /** Whether this operation text is one of the published bodies. */
  isTrusted(text: string): boolean;
  /** Reloads from Redis now (also done every `refreshMs` and whenever Redis (re)connects). */
  refresh(): Promise<void>;
  /** Whether a manifest was read from Redis at least once (an empty one counts). */
  loaded(): boolean;
  close(): void;
}

/**
 * Keeps the published manifest in memory and refreshes it from Redis every `refreshMs`,
 * so trusted documents resolve without a Redis round trip and keep working through a
 * Redis outage, and through Redis losing its data: a manifest that disappeared without a
 * new publication leaves the last one in force (only publishing, even an empty manifest,
 * replaces it). A gateway that starts before anything was published serves an empty list.
 */
export function createManifestStore({
  redis,
  prefix,
  refreshMs = PERSISTED_QUERIES_DEFAULTS.manifestRefreshMs,
  logger,
}: {
  redis: RedisClient;
  prefix: string;
  refreshMs?: number;
  logger: Logger;
}): ManifestStore {
  let bodies = new Map<string, string>();
  let trusted = new Set<string>();
  let loaded = false;
  let lostWarned = false;
  // Until a first manifest is read, a failed read is retried soon (doubling up to `refreshMs`)
  // rather than at the next refresh: a command timing out at startup must not keep the
  // gateway unready for a whole refresh period.
  const retry = retrySoon(refreshMs, () => void refresh());
  const refresh = async () => {
    try {
      const { [PUBLISHED_FIELD]: published, ...entries } = await redis.hgetall(prefix + MANIFEST_KEY);
      const missing = published === undefined && Object.keys(entries).length === 0;
      if (missing && loaded) {
        if (!lostWarned)
          logger.warn({ operations: bodies.size }, 'persisted query manifest missing from Redis: keeping the last one (publish again)');
        lostWarned = true;
        return;
      }
      lostWarned = false;
      bodies = new Map(Object.entries(entries));
      trusted = new Set([...bodies.values()].map(sha256));
      loaded = true;
    } catch (error) {
      logger.warn({ err: error, operations: bodies.size }, 'redis unavailable: keeping the last persisted query manifest');
      if (!loaded) retry.schedule();
    }
  };
  // `refresh` never rejects: a failed read is logged and kept from.
  const refreshInBackground = () => void refresh();
  const timer = setInterval(refreshInBackground, refreshMs);
  timer.unref();
  redis.on('ready', refreshInBackground);
  if (redis.status === 'ready') void refresh();
  return {
    body: (id) => bodies.get(id),
    isTrusted: (text) => trusted.has(sha256(text)),
    refresh,
    loaded: () => loaded,
    close: () => {
      clearInterval(timer);
      retry.cancel();
      redis.off('ready', refreshInBackground);
    },
  };
}

/** Runs `run` once after 100 ms, then after twice as long each time it is scheduled again, up to `maxMs`. */
function retrySoon(maxMs: number, run: () => void) {
  let timer: NodeJS.Timeout | undefined;
  let delayMs = Math.min(100, maxMs);
  return {
    schedule() {
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        run();
      }, delayMs);
      timer.unref();
      delayMs = Math.min(delayMs * 2, maxMs);
    },
    cancel: () => clearTimeout(timer),
  };
}
