import type { ApolloServerOptions } from '@apollo/server';
import type { Logger, RedisClient } from '@tessera/service-kit';
import { Counter, type Registry } from 'prom-client';
import { withDefaults } from '../../options.js';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { GraphQLError } from 'graphql';
import { GatewayErrorCode, operationRejected } from '../../errors.js';
import type { GatewayContext, GatewayFeature, StreamRequest } from '../../pipeline/index.js';
import { sha256 } from './manifest.js';
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
  const apqCache = createApqCache({ redis, prefix, maxBytes: settings.apqMaxBytes, logger });
  const record = (result: 'hit' | 'miss' | 'register') => lookups.inc({ kind: 'apq', result });
  return {
    name: 'persisted queries',
    apq: { ttl: settings.apqTtlSeconds, cache: apqCache },
    plugins: [trusted.plugin],
    admit: trusted.admit,
    prepareStream: async (request, context) =>
      trusted.prepareStream(request, context) ? undefined : streamedApq(request, apqCache, settings.apqTtlSeconds, record),
    ready: async () => {
      if (manifest && !manifest.loaded()) throw new Error('persisted query manifest not loaded from Redis');
    },
    close: () => manifest?.close(),
  };
}

/** The prefix Apollo Server puts before every APQ hash in the cache it is given (its `APQ_CACHE_PREFIX`): a streamed operation shares its entries. */
const APQ_KEY_PREFIX = 'apq:';

/**
 * Apollo's APQ protocol for a streamed operation (a subscription), on the same cache as Apollo
 * Server's: a hash with its text registers it (a text that is not its hash refused with our
 * code); a hash alone is looked up, PERSISTED_QUERY_NOT_FOUND when unknown.
 */
async function streamedApq(
  request: StreamRequest,
  cache: KeyValueCache<string>,
  ttlSeconds: number,
  record: (result: 'hit' | 'miss' | 'register') => void,
): Promise<GraphQLError | undefined> {
  const persisted = request.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined;
  const hash = typeof persisted?.sha256Hash === 'string' ? persisted.sha256Hash : undefined;
  if (hash === undefined) return undefined;
  if (request.query !== undefined) {
    if (sha256(request.query) !== hash)
      return operationRejected(GatewayErrorCode.PersistedQueryHashMismatch, 'The sha256Hash does not match the query text.');
    await cache.set(APQ_KEY_PREFIX + hash, request.query, { ttl: ttlSeconds });
    record('register');
    return undefined;
  }
  const text = await cache.get(APQ_KEY_PREFIX + hash);
  record(text === undefined ? 'miss' : 'hit');
  if (text === undefined)
    return new GraphQLError('PersistedQueryNotFound', { extensions: { code: GatewayErrorCode.PersistedQueryNotFound } });
  request.query = text;
  return undefined;
}
