import type { BaseContext } from '@apollo/server';
import { PrismaInstrumentation } from '@prisma/instrumentation';
import { openDatabase, type Database } from '@tessera/prisma';
import {
  allReady,
  ConfigError,
  connectRedis,
  createLogger,
  createMetricsRegistry,
  onShutdownSignal,
  startMetricsServer,
  startTracing,
  type Logger,
  type RedisClient,
} from '@tessera/service-kit';
import type { Registry } from 'prom-client';
import type { SubgraphConfig } from './config.js';
import { observeDatabase } from './database-metrics.js';
import type { ClosableClient, SubgraphDefinition } from './definition.js';
import { startEvents, type EventsRuntime } from './events/runtime.js';
import { sweepIdempotencyKeys } from './idempotency.js';
import { createReplicaMonitor, replicaMetrics, type ReplicaMonitor } from './replicas/monitor.js';
import { createSubgraphServer } from './subgraph-server.js';

/** How often idempotency keys past their 24 hours are deleted. */
const SWEEP_INTERVAL_MS = 3_600_000;

/** A subgraph serving requests. */
export interface RunningSubgraph {
  /** The bound port (useful with port 0). */
  port: number;
  /** The bound port of the internal `/metrics` listener. */
  metricsPort: number;
  logger: Logger;
  /** Stops being ready, drains HTTP, then closes the Prisma client, the database and the metrics listener. */
  close(): Promise<void>;
}

/**
 * Brings one subgraph up: open its database (PostgreSQL or embedded), apply pending
 * migrations, seed it when empty (if enabled), and serve GraphQL with /health and /ready, and
 * its metrics on a listener of their own.
 */
export async function startSubgraph<Client extends ClosableClient, Context extends BaseContext>(
  definition: SubgraphDefinition<Client, Context>,
  config: SubgraphConfig,
): Promise<RunningSubgraph> {
  const logger = createLogger({ service: definition.name, level: config.logLevel, pretty: config.prettyLogs });
  const tracing = startTracing({ service: definition.name, endpoint: config.otlpEndpoint });
  // Prisma's own spans (each query, each connection), under the active resolver's span.
  if (tracing.enabled) new PrismaInstrumentation();
  const registry = createMetricsRegistry(definition.name);
  const database = await openSubgraphDatabase(definition, config);
  observeDatabase(database, registry);
  const client = await prepareDatabase(definition, database, config, logger).catch(async (error: unknown) => {
    await database.close();
    throw error;
  });
  const redis = config.redis.url
    ? connectRedis({ url: config.redis.url, timeoutMs: config.redis.timeoutMs, cluster: config.redis.cluster, logger })
    : undefined;
  const events = definition.events ? startSubgraphEvents(definition.name, { client, config, logger, registry, redis }) : undefined;
  const replicas = startReplicas(definition, database, config, { logger, registry });
  const server = createSubgraphServer(definition, {
    client,
    config,
    logger,
    registry,
    // Ready while reads can be served: the primary answers, or — the primary down — a replica does
    // (writes then fail with DATABASE_UNAVAILABLE; reads go on).
    readiness: allReady({ database: () => database.ping().catch((error: unknown) => ifNoReplicaServes(replicas, error)) }),
    ...(database.currentLsn && { currentLsn: () => database.currentLsn!() }),
    ...(replicas && { replicas }),
    ...(redis && { redis }),
    ...(events && { events }),
  });
  const sweep = setInterval(() => {
    sweepIdempotencyKeys(client).catch((error: unknown) => logger.warn({ err: error }, 'idempotency key sweep failed'));
  }, SWEEP_INTERVAL_MS);
  sweep.unref();
  const metrics = await startMetricsServer({ registry, port: config.metricsPort, host: config.host, logger });
  const close = async () => {
    clearInterval(sweep);
    // Streams first (each told to reconnect elsewhere), then the relay's last batch and the hub.
    await server.close();
    await events?.close();
    await client.$disconnect();
    replicas?.monitor.close();
    await Promise.all(replicas?.clients.map((replica) => replica.$disconnect()) ?? []);
    await database.close();
    await redis?.quit().catch(() => redis.disconnect());
    await metrics.close();
    await tracing.shutdown();
  };
  const port = await server.listen(config.port, config.host).catch(async (error: unknown) => {
    await close();
    throw error;
  });
  logger.info({ port, metricsPort: metrics.port, database: database.kind }, `${definition.name} subgraph listening`);
  return { port, metricsPort: metrics.port, logger, close };
}

/**
 * A subgraph process's `main`. With no command it serves, and drains and closes on
 * SIGTERM/SIGINT; `migrate` applies the database's pending migrations and exits (the
 * migration job of a deployment whose replicas run with `DATABASE_MIGRATIONS=verify`).
 */
export async function runSubgraph<Client extends ClosableClient, Context extends BaseContext>(
  definition: SubgraphDefinition<Client, Context>,
  config: SubgraphConfig,
  args: readonly string[] = process.argv.slice(2),
): Promise<void> {
  if (args.length === 1 && args[0] === 'migrate') return migrateSubgraph(definition, config);
  if (args.length > 0)
    throw new ConfigError([`unknown command ${JSON.stringify(args.join(' '))}: run with no argument to serve, or with "migrate"`]);
  const running = await startSubgraph(definition, config);
  onShutdownSignal(running.logger, () => running.close());
}

/** Applies the subgraph database's pending migrations (waiting for any other migrator), then closes it. */
export async function migrateSubgraph<Client extends ClosableClient, Context extends BaseContext>(
  definition: SubgraphDefinition<Client, Context>,
  config: SubgraphConfig,
): Promise<void> {
  const logger = createLogger({ service: definition.name, level: config.logLevel, pretty: config.prettyLogs });
  const database = await openSubgraphDatabase(definition, config);
  try {
    await migrate(database, logger);
  } finally {
    await database.close();
  }
}

/** The subgraph's database as its configuration describes it (nothing migrated yet). */
export function openSubgraphDatabase<Client extends ClosableClient, Context extends BaseContext>(
  definition: SubgraphDefinition<Client, Context>,
  config: SubgraphConfig,
): Promise<Database> {
  const { migrations: _mode, replicaMaxLagMs: _lag, replicaPollMs: _poll, ...options } = config.database;
  return openDatabase({ name: definition.name, ...options });
}

/** The replicas' clients and their monitor, when the database has replicas (`<NAME>_DATABASE_REPLICA_URLS`). */
function startReplicas<Client extends ClosableClient, Context extends BaseContext>(
  definition: SubgraphDefinition<Client, Context>,
  database: Database,
  config: SubgraphConfig,
  { logger, registry }: { logger: Logger; registry: Registry },
): { clients: Client[]; monitor: ReplicaMonitor } | undefined {
  if (database.replicas.length === 0 || !database.flushedLsn) {
    replicaMetrics(registry);
    return undefined;
  }
  const monitor = createReplicaMonitor({
    primary: { flushedLsn: () => database.flushedLsn!() },
    replicas: database.replicas,
    pollMs: config.database.replicaPollMs,
    maxLagMs: config.database.replicaMaxLagMs,
    logger: logger.child({ component: 'replicas' }),
    registry,
  });
  void monitor.refresh();
  logger.info(
    { replicas: database.replicas.map((replica) => replica.name), maxLagMs: config.database.replicaMaxLagMs },
    'reads may go to replicas',
  );
  return { clients: database.replicas.map((replica) => definition.createClient(replica.adapter)), monitor };
}

/** A primary that does not answer leaves the subgraph ready while a replica serves reads. */
function ifNoReplicaServes(replicas: { monitor: ReplicaMonitor } | undefined, error: unknown): void {
  if (!replicas?.monitor.anyReplicaServing()) throw error;
}

/** Applies pending migrations and says what it did. */
async function migrate(database: Database, logger: Logger): Promise<void> {
  const applied = await database.migrate();
  logger.info({ database: database.kind, applied }, applied.length ? 'applied migrations' : 'database schema up to date');
}

/**
 * Applies pending migrations (`DATABASE_MIGRATIONS=apply`) or refuses to start while any is
 * pending (`verify`), builds the Prisma client, and seeds an empty database when enabled.
 */
async function prepareDatabase<Client extends ClosableClient, Context extends BaseContext>(
  definition: SubgraphDefinition<Client, Context>,
  database: Database,
  config: SubgraphConfig,
  logger: Logger,
): Promise<Client> {
  if (config.database.migrations === 'apply') {
    await migrate(database, logger);
  } else {
    const pending = await database.pendingMigrations();
    if (pending.length > 0) {
      throw new ConfigError([
        `DATABASE_MIGRATIONS=verify: ${pending.length} migration(s) of the ${definition.name} database not applied yet (${pending.join(', ')}); ` +
          'run the migration job (`node <subgraph>/dist/main.js migrate`) first, or set DATABASE_MIGRATIONS=apply',
      ]);
    }
  }
  const client = definition.createClient(database.adapter);
  if (config.seed.onEmpty && (await definition.isEmpty(client))) {
    const started = Date.now();
    await definition.seed(client, config.seed, logger);
    logger.info({ durationMs: Date.now() - started }, 'seeded empty database');
  }
  return client;
}

/** The process's events: its relay and hub on the subgraph's database, over the runtime's Redis when there is one. */
function startSubgraphEvents(
  name: string,
  {
    client,
    config,
    logger,
    registry,
    redis,
  }: { client: ClosableClient; config: SubgraphConfig; logger: Logger; registry: Registry; redis?: RedisClient },
): EventsRuntime {
  return startEvents({
    name,
    db: client,
    ...(redis && { redis }),
    keyPrefix: config.redis.keyPrefix,
    logger,
    registry,
    settings: config.events,
    transaction: { maxWait: config.database.acquireTimeoutMs, timeout: config.database.statementTimeoutMs || 5_000 },
  });
}
