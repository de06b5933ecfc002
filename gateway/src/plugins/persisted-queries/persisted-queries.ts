import type { ApolloServerOptions, ApolloServerPlugin } from '@apollo/server';
import type { Logger, ReadinessCheck, RedisClient } from '@tessera/service-kit';
import { Counter, type Registry } from 'prom-client';
import type { AdmissionStep } from '../admission/index.js';
import { createApqCache } from './apq-cache.js';
import { createDeveloperKeyCheck } from './developer-key.js';
import { createManifestStore } from './manifest-store.js';
import { createPersistedQueriesPlugin, createTrustedDocumentsStep, type PersistedQueryContext } from './plugin.js';

/** Options of {@link createPersistedQueries}. */
export interface PersistedQueriesOptions {
  /** A connected client (see `connectRedis`) for the shared APQ cache and the manifest; in-memory APQ without one. */
  redis?: RedisClient;
  /** Prefix of every Redis key. */
  keyPrefix: string;
  /** How long a registered APQ stays in Redis. @default 86_400 */
  apqTtlSeconds: number;
  /** Largest query text an APQ registration stores, in bytes. @default 131_072 */
  apqMaxBytes: number;
  /** Trusted documents: `off`, `allow` or `enforce` (needs `redis`). @default 'off' */
  mode: 'off' | 'allow' | 'enforce';
  /** Keys that let a developer run free-form queries in `enforce` mode. @default [] */
  developerKeys: string[];
  /** How often the manifest is re-read from Redis. @default 10_000 */
  manifestRefreshMs: number;
  logger: Logger;
  /** Where APQ and manifest hits and misses are counted. */
  registry?: Registry;
}

/** Persisted queries as the gateway wires them. */
export interface PersistedQueries {
  /** Apollo Server's `persistedQueries` option: APQ on Redis, or in memory per process. */
  apq: NonNullable<ApolloServerOptions<PersistedQueryContext>['persistedQueries']>;
  plugin: ApolloServerPlugin<PersistedQueryContext>;
  /** `enforce` mode's admission step (undefined otherwise); must run before cost analysis. */
  admit: AdmissionStep<PersistedQueryContext> | undefined;
  /** Ready once the published manifest was read (when trusted documents are on). */
  ready: ReadinessCheck;
  /** Stops refreshing the manifest; the Redis client is the caller's to close. */
  close(): void;
}

/**
 * Automatic persisted queries (Apollo's protocol) and trusted documents from a published
 * manifest, on a Redis shared by every replica when one is given.
 */
export function createPersistedQueries(options: PersistedQueriesOptions): PersistedQueries {
  const { redis, keyPrefix: prefix, logger } = options;
  const manifest =
    redis && options.mode !== 'off' ? createManifestStore({ redis, prefix, refreshMs: options.manifestRefreshMs, logger }) : undefined;
  const lookups = new Counter({
    name: 'persisted_queries_total',
    help: 'Persisted query lookups: kind (apq, manifest) and result (hit, miss, register).',
    labelNames: ['kind', 'result'],
    registers: options.registry ? [options.registry] : [],
  });
  const trusted = {
    record: (kind: 'apq' | 'manifest', result: 'hit' | 'miss' | 'register') => lookups.inc({ kind, result }),
    mode: options.mode,
    manifest,
    isDeveloper: createDeveloperKeyCheck(options.developerKeys),
  };
  return {
    apq: { ttl: options.apqTtlSeconds, cache: createApqCache({ redis, prefix, maxBytes: options.apqMaxBytes, logger }) },
    plugin: createPersistedQueriesPlugin(trusted),
    admit: createTrustedDocumentsStep(trusted),
    ready: async () => {
      if (manifest && !manifest.loaded()) throw new Error('persisted query manifest not loaded from Redis');
    },
    close: () => manifest?.close(),
  };
}
