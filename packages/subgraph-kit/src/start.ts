import type { BaseContext } from '@apollo/server';
import { openDatabase, type Database } from '@tessera/prisma';
import { createHttpServer, createLogger, onShutdownSignal, type Logger } from '@tessera/service-kit';
import { createSubgraphApollo } from './apollo.js';
import { createGatewayGuard, identityOf } from './gateway-signature.js';
import type { SubgraphConfig } from './config.js';
import type { ClosableClient, SubgraphDefinition } from './definition.js';

/** A subgraph serving requests. */
export interface RunningSubgraph {
  /** The bound port (useful with port 0). */
  port: number;
  logger: Logger;
  /** Drains HTTP, then closes the Prisma client and the database. */
  close(): Promise<void>;
}

/**
 * Brings one subgraph up: open its database (PostgreSQL or embedded), apply pending
 * migrations, seed it when empty (if enabled), and serve GraphQL with /health and /ready.
 */
export async function startSubgraph<Client extends ClosableClient, Context extends BaseContext>(
  definition: SubgraphDefinition<Client, Context>,
  config: SubgraphConfig,
): Promise<RunningSubgraph> {
  const logger = createLogger({ service: definition.name, level: config.logLevel, pretty: config.prettyLogs });
  const database = await openDatabase({ name: definition.name, ...config.database });
  const client = await prepareDatabase(definition, database, config, logger).catch(async (error: unknown) => {
    await database.close();
    throw error;
  });
  const server = createHttpServer({
    apollo: createSubgraphApollo(definition, { logger, limits: config.limits, introspection: config.introspection }),
    context: async (request) => definition.createContext(client, config, identityOf(request)),
    logger,
    guard: createGatewayGuard({ keys: config.signingKeys, logger }),
    readiness: () => database.ping(),
  });
  const close = async () => {
    await server.close();
    await client.$disconnect();
    await database.close();
  };
  const port = await server.listen(config.port, config.host).catch(async (error: unknown) => {
    await close();
    throw error;
  });
  logger.info({ port, database: database.kind }, `${definition.name} subgraph listening`);
  return { port, logger, close };
}

/** A subgraph process's `main`: starts it, and drains and closes it on SIGTERM/SIGINT. */
export async function runSubgraph<Client extends ClosableClient, Context extends BaseContext>(
  definition: SubgraphDefinition<Client, Context>,
  config: SubgraphConfig,
): Promise<void> {
  const running = await startSubgraph(definition, config);
  onShutdownSignal(running.logger, running.close);
}

/** Migrates the database, builds the Prisma client on it, and seeds an empty database when enabled. */
async function prepareDatabase<Client extends ClosableClient, Context extends BaseContext>(
  definition: SubgraphDefinition<Client, Context>,
  database: Database,
  config: SubgraphConfig,
  logger: Logger,
): Promise<Client> {
  const applied = await database.migrate();
  logger.info({ database: database.kind, applied }, applied.length ? 'applied migrations' : 'database schema up to date');
  const client = definition.createClient(database.adapter);
  if (config.seed.onEmpty && (await definition.isEmpty(client))) {
    const started = Date.now();
    await definition.seed(client, config.seed, logger);
    logger.info({ durationMs: Date.now() - started }, 'seeded empty database');
  }
  return client;
}
