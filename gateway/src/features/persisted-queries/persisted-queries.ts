import type { ApolloServerOptions } from '@apollo/server';
import type { Logger, RedisClient } from '@tessera/service-kit';
import { Counter, type Registry } from 'prom-client';
import { withDefaults } from '../../options.js';
import type { GatewayContext, GatewayFeature } from '../../pipeline/index.js';
import { createApqCache } from './apq-cache.js';
import { createDeveloperKeyCheck } from './developer-key.js';
import { createManifestStore } from './manifest-store.js';
import { PERSISTED_QUERIES_DEFAULTS, type PersistedQueriesSettings } from './settings.js';
import { createTrustedDocuments } from './trusted-documents.js';

/** Options of {@link createPersistedQueries}: the settings (each defaulting as {@link PERSISTED_QUERIES_DEFAULTS}) and what they work with. */
export interface PersistedQueriesOptions extends Partial<PersistedQueriesSettings> {
  /** A connected client (see `connectRedis`) for the shared APQ cache and the manifest; in-memory APQ without one. */
  redis?: RedisClient;
  /** Prefix of every Redis key. */
  keyPrefix: string;
  logger: Logger;
  /** Where APQ and manifest hits and misses are counted. */
  registry?: Registry;
}

/** Persisted queries as the gateway wires them, and the option Apollo Server takes for APQ. */
export interface PersistedQueriesFeature extends GatewayFeature {
  /** Apollo Server's `persistedQueries` option: APQ on Redis, or in memory per process. */
  apq: NonNullable<ApolloServerOptions<GatewayContext>['persistedQueries']>;
}

/**
 * Automatic persisted queries (Apollo's protocol) and trusted documents from a published
 * manifest, on a Redis shared by every replica when one is given. Ready once the published
 * manifest was read (when trusted documents are on); closing stops refreshing it (the Redis
 * client is the caller's to close).
 */
export function createPersistedQueries({
  redis,
  keyPrefix: prefix,
  logger,
  registry,
  ...given
}: PersistedQueriesOptions): PersistedQueriesFeature {
  const settings = withDefaults(PERSISTED_QUERIES_DEFAULTS, given);
  const manifest =
    redis && settings.mode !== 'off' ? createManifestStore({ redis, prefix, refreshMs: settings.manifestRefreshMs, logger }) : undefined;
  const lookups = new Counter({
    name: 'persisted_queries_total',
    help: 'Persisted query lookups: kind (apq, manifest) and result (hit, miss, register).',
    labelNames: ['kind', 'result'],
    registers: registry ? [registry] : [],
  });
  const trusted = createTrustedDocuments({
    record: (kind, result) => lookups.inc({ kind, result }),
    mode: settings.mode,
    manifest,
    isDeveloper: createDeveloperKeyCheck(settings.developerKeys),
  });
  return {
    name: 'persisted queries',
    apq: { ttl: settings.apqTtlSeconds, cache: createApqCache({ redis, prefix, maxBytes: settings.apqMaxBytes, logger }) },
    plugins: [trusted.plugin],
    admit: trusted.admit,
    ready: async () => {
      if (manifest && !manifest.loaded()) throw new Error('persisted query manifest not loaded from Redis');
    },
    close: () => manifest?.close(),
  };
}
