import type { BaseContext } from '@apollo/server';
import { openDatabase } from '@tessera/prisma';
import { createHttpServer } from '../http-server.js';
import { createLogger } from '../logger.js';
import { onShutdownSignal } from '../shutdown.js';
import type { SubgraphConfig } from '../subgraph-config.js';
import { createSubgraphApollo } from './apollo.js';
import type { ClosableClient, SubgraphDefinition } from './definition.js';

/**
 * Brings one subgraph up: open its database (PostgreSQL or embedded), apply pending
 * migrations, seed it when empty (if enabled), serve GraphQL with /health and /ready,
 * and drain on SIGTERM/SIGINT before closing the pool.
 */
export async function startSubgraph<Client extends ClosableClient, Context extends BaseContext>(
  definition: SubgraphDefinition<Client, Context>,
  config: SubgraphConfig,
): Promise<void> {
  const logger = createLogger({ service: definition.name, level: config.logLevel, pretty: config.prettyLogs });
  const database = await openDatabase({
    name: definition.name,
    url: config.database.url,
    poolSize: config.database.poolSize,
    dataDir: config.database.dataDir,
  });
  const applied = await database.migrate();
  logger.info({ database: database.kind, applied }, applied.length ? 'applied migrations' : 'database schema up to date');

  const client = definition.createClient(database.adapter);
  if (config.seed.onEmpty && (await definition.isEmpty(client))) {
    const started = Date.now();
    await definition.seed(client, config.seed, logger);
    logger.info({ durationMs: Date.now() - started }, 'seeded empty database');
  }

  const server = createHttpServer({
    apollo: createSubgraphApollo(definition, logger),
    context: async () => definition.createContext(client, config),
    logger,
    readiness: () => database.ping(),
  });
  const port = await server.listen(config.port, config.host);
  logger.info({ port, database: database.kind }, `${definition.name} subgraph listening`);

  onShutdownSignal(logger, async () => {
    await server.close();
    await client.$disconnect();
    await database.close();
  });
}
