import { z } from 'zod';
import {
  CHECK_ALWAYS,
  ConfigError,
  env,
  redisEnv,
  variableDefaults,
  parseAll,
  parseConfig,
  requiredOutsideDevelopment,
  type RuntimeSettings,
  serviceEnv,
  serviceSettings,
  subgraphUrls,
  type SigningKey,
} from '@tessera/service-kit';
import { DEFAULT_MAX_BATCH_SIZE } from './batch-loader.js';
import { HUB_DEFAULTS } from './events/hub.js';
import { RELAY_DEFAULTS } from './events/relay.js';
import type { EventSettings } from './events/runtime.js';
import type { RequestLimits } from './request-guards.js';

/** Everything a subgraph process is configured with. */
export interface SubgraphConfig extends RuntimeSettings {
  name: string;
  nodeEnv: 'development' | 'production' | 'test';
  /** `NODE_ENV=development`: the embedded database, demo data and introspection by default. */
  development: boolean;
  /**
   * The keys gateway requests are signed with; a request without a valid signature is refused.
   * Only development may run without (then anything on loopback may call).
   */
  signingKeys: SigningKey[] | undefined;
  logLevel: string;
  /** Pretty logs instead of JSON lines. */
  prettyLogs: boolean;
  port: number;
  host: string;
  /** The internal listener of `/metrics` (`<NAME>_METRICS_PORT`). */
  metricsPort: number;
  database: {
    /** PostgreSQL URL; unset means the embedded PGlite database in `dataDir`. */
    url: string | undefined;
    /** Where migrations connect when `url` goes through a pooler: the server itself (default: `url`). */
    migrationUrl: string | undefined;
    /** Streaming replicas of `url` that take reads (`<NAME>_DATABASE_REPLICA_URLS`); writes never go there. */
    replicaUrls: string[];
    /** A replica further behind the primary than this takes no reads (`DATABASE_REPLICA_MAX_LAG_MS`). */
    replicaMaxLagMs: number;
    /** How often the primary's and replicas' positions are read (`DATABASE_REPLICA_POLL_MS`). */
    replicaPollMs: number;
    /**
     * `apply`: apply pending migrations at start-up (concurrent replicas wait for each other).
     * `verify`: refuse to start while any is pending — a migration job applies them first.
     */
    migrations: 'apply' | 'verify';
    poolSize: number;
    /** Longest wait for a pooled connection. */
    acquireTimeoutMs: number;
    /** PostgreSQL's `statement_timeout` for every session (0 = none). */
    statementTimeoutMs: number;
    /** Named statements, parsed and planned once per connection. */
    preparedStatements: boolean;
    dataDir: string;
  };
  /**
   * The Redis every replica shares (`REDIS_URL`, as the gateway's): request-signature nonces are
   * remembered there, so a captured request replayed to another replica is refused too. Unset:
   * each replica remembers alone.
   */
  redis: { url: string | undefined; keyPrefix: string; timeoutMs: number; cluster: boolean };
  /** Other subgraphs' GraphQL URLs, by name, from `SUBGRAPH_<NAME>_URL` (the gateway reads the same variables). */
  subgraphUrls: Record<string, string>;
  /** Largest `first` a list field accepts. */
  maxPageSize: number;
  /** The subgraph's own request limits (defence in depth behind the gateway's). */
  limits: RequestLimits;
  /** Introspection and field suggestions in errors: off in production. */
  introspection: boolean;
  /** How per-request DataLoaders batch. */
  loaders: { batch: boolean; maxBatchSize: number };
  /** The outbox's relay and hub (subgraphs that declare events). */
  events: EventSettings;
  seed: {
    /** Seed the database at start-up when its main table is empty (development's default). */
    onEmpty: boolean;
    users: number;
    products: number;
    reviews: number;
    seed: number;
  };
}

/** Variables every subgraph reads without a prefix. */
const sharedSchema = z
  .object({
    ...serviceEnv,
    MAX_PAGE_SIZE: env.int(100, { min: 1, max: 10_000 }),
    ...redisEnv,
    SUBGRAPH_MAX_DEPTH: env.int(20, { min: 1, max: 1_000 }),
    SUBGRAPH_MAX_ENTITIES: env.int(1_000, { min: 1, max: 1_000_000 }),
    DATABASE_ACQUIRE_TIMEOUT_MS: env.int(2_000, { min: 1, max: 600_000 }),
    DATABASE_STATEMENT_TIMEOUT_MS: env.int(5_000, { min: 0, max: 3_600_000 }),
    DATABASE_PREPARED_STATEMENTS: env.bool(true),
    DATABASE_MIGRATIONS: env.choice(['apply', 'verify'], 'apply'),
    DATALOADER_BATCHING: env.bool(true),
    DATALOADER_MAX_BATCH_SIZE: env.int(DEFAULT_MAX_BATCH_SIZE, { min: 1, max: 10_000 }),
    EVENTS_RELAY_INTERVAL_MS: env.int(RELAY_DEFAULTS.intervalMs, { min: 10, max: 3_600_000 }),
    EVENT_RETENTION_SECONDS: env.int(RELAY_DEFAULTS.retentionSeconds, { min: 1, max: 31_536_000 }),
    EVENTS_CATCHUP_INTERVAL_MS: env.int(HUB_DEFAULTS.catchupIntervalMs, { min: 10, max: 3_600_000 }),
    DATABASE_REPLICA_MAX_LAG_MS: env.int(1_000, { min: 0, max: 3_600_000 }),
    DATABASE_REPLICA_POLL_MS: env.int(100, { min: 10, max: 60_000 }),
    SEED_ON_EMPTY: env.optionalBool(),
    EMBEDDED_DATABASE: env.optionalBool(),
    SEED_USERS: env.int(200, { min: 0, max: 10_000_000 }),
    SEED_PRODUCTS: env.int(100, { min: 0, max: 10_000_000 }),
    SEED_REVIEWS: env.int(2_000, { min: 0, max: 100_000_000 }),
    SEED_RANDOM_SEED: env.int(42, { min: 0, max: 2 ** 31 - 1 }),
  })
  .superRefine(requiredOutsideDevelopment(['SUBGRAPH_SIGNING_KEYS']), CHECK_ALWAYS);

/** A subgraph's own variables, read under its prefix (`USERS_PORT`, …). */
const ownSchema = (name: string, defaultPort: number) =>
  z.object({
    PORT: env.port(defaultPort),
    // users 4001 → 9401, products 4002 → 9402, reviews 4003 → 9403 (the gateway's is 9400); any free port when the API's is.
    METRICS_PORT: env.port(defaultPort && defaultPort + 5_400),
    DATABASE_URL: env.optionalUrl(['postgres:', 'postgresql:']),
    DATABASE_MIGRATION_URL: env.optionalUrl(['postgres:', 'postgresql:']),
    DATABASE_POOL_SIZE: env.int(10, { min: 1, max: 1000 }),
    DATABASE_REPLICA_URLS: env.list([]),
    DATA_DIR: env.string(`.data/${name}`),
  });

/** Every variable a subgraph reads by name: shared ones bare, its own under its prefix (`USERS_PORT`). */
export const SUBGRAPH_VARIABLES = { shared: Object.keys(sharedSchema.shape), own: Object.keys(ownSchema('', 0).shape) } as const;

/**
 * What each subgraph variable is when unset (undefined: derived or required): the shared ones, and
 * one subgraph's own under its prefix. The documentation is checked against it.
 */
export function subgraphVariableDefaults({ name, defaultPort }: { name: string; defaultPort: number }): Record<string, unknown> {
  const own = variableDefaults(ownSchema(name, defaultPort));
  return {
    ...variableDefaults(sharedSchema),
    ...Object.fromEntries(Object.entries(own).map(([key, value]) => [`${name.toUpperCase()}_${key}`, value])),
  };
}

/** Replicas are `postgres://` URLs, and only of a PostgreSQL primary. */
function checkReplicaUrls(prefix: string, replicaUrls: readonly string[], primaryUrl: string | undefined): void {
  const bad = replicaUrls.find((url) => !/^postgres(ql)?:\/\/./.test(url));
  if (bad !== undefined)
    throw new ConfigError([
      `${prefix}DATABASE_REPLICA_URLS: each must be a postgres:// URL (a streaming replica of ${prefix}DATABASE_URL)`,
    ]);
  if (replicaUrls.length > 0 && primaryUrl === undefined)
    throw new ConfigError([
      `${prefix}DATABASE_REPLICA_URLS: replicas need ${prefix}DATABASE_URL (the primary); the embedded database has none`,
    ]);
}

/**
 * Reads a subgraph's variables. Each subgraph has its own prefix (`USERS_PORT`,
 * `USERS_DATABASE_URL`, …) so one environment can configure all four services.
 */
export function loadSubgraphConfig(
  { name, defaultPort }: { name: string; defaultPort: number },
  source: NodeJS.ProcessEnv = process.env,
): SubgraphConfig {
  const prefix = `${name.toUpperCase()}_`;
  const [shared, own, urls] = parseAll(
    () => parseConfig(sharedSchema, source),
    () => parseConfig(ownSchema(name, defaultPort), source, { prefix }),
    () => subgraphUrls(source),
  );
  const settings = serviceSettings(shared);
  if (own.DATABASE_URL === undefined && !(shared.EMBEDDED_DATABASE ?? settings.development)) {
    // Outside development an unset URL is a mistake, not a wish for a database on local disk.
    throw new ConfigError([
      `${prefix}DATABASE_URL: required outside development (NODE_ENV=development); or EMBEDDED_DATABASE=true for the embedded database in ${prefix}DATA_DIR`,
    ]);
  }
  checkReplicaUrls(prefix, own.DATABASE_REPLICA_URLS, own.DATABASE_URL);
  return {
    name,
    ...settings,
    port: own.PORT,
    metricsPort: own.METRICS_PORT,
    database: {
      url: own.DATABASE_URL,
      migrationUrl: own.DATABASE_MIGRATION_URL,
      replicaUrls: own.DATABASE_REPLICA_URLS,
      replicaMaxLagMs: shared.DATABASE_REPLICA_MAX_LAG_MS,
      replicaPollMs: shared.DATABASE_REPLICA_POLL_MS,
      migrations: shared.DATABASE_MIGRATIONS,
      poolSize: own.DATABASE_POOL_SIZE,
      acquireTimeoutMs: shared.DATABASE_ACQUIRE_TIMEOUT_MS,
      statementTimeoutMs: shared.DATABASE_STATEMENT_TIMEOUT_MS,
      preparedStatements: shared.DATABASE_PREPARED_STATEMENTS,
      dataDir: own.DATA_DIR,
    },
    redis: { url: shared.REDIS_URL, keyPrefix: shared.REDIS_KEY_PREFIX, timeoutMs: shared.REDIS_TIMEOUT_MS, cluster: shared.REDIS_CLUSTER },
    subgraphUrls: urls,
    maxPageSize: shared.MAX_PAGE_SIZE,
    limits: { maxDepth: shared.SUBGRAPH_MAX_DEPTH, maxEntities: shared.SUBGRAPH_MAX_ENTITIES },
    introspection: settings.development,
    loaders: { batch: shared.DATALOADER_BATCHING, maxBatchSize: shared.DATALOADER_MAX_BATCH_SIZE },
    events: {
      relayIntervalMs: shared.EVENTS_RELAY_INTERVAL_MS,
      retentionSeconds: shared.EVENT_RETENTION_SECONDS,
      catchupIntervalMs: shared.EVENTS_CATCHUP_INTERVAL_MS,
    },
    seed: {
      onEmpty: shared.SEED_ON_EMPTY ?? settings.development,
      users: shared.SEED_USERS,
      products: shared.SEED_PRODUCTS,
      reviews: shared.SEED_REVIEWS,
      seed: shared.SEED_RANDOM_SEED,
    },
  };
}
