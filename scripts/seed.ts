/**
 * `pnpm seed`: applies migrations and writes the deterministic demo data into all three
 * databases (PostgreSQL where `<NAME>_DATABASE_URL` is set, else the embedded ones).
 * Sizes: SEED_USERS, SEED_PRODUCTS, SEED_REVIEWS; seed: SEED_RANDOM_SEED. Re-running
 * adds nothing that is already there.
 */
import type { BaseContext } from '@apollo/server';
import { productsSubgraph, loadConfig as productsConfig } from '@tessera/products';
import { reviewsSubgraph, loadConfig as reviewsConfig } from '@tessera/reviews';
import { createLogger, runMain } from '@tessera/service-kit';
import { openSubgraphDatabase, type ClosableClient, type SubgraphConfig, type SubgraphDefinition } from '@tessera/subgraph-kit';
import { usersSubgraph, loadConfig as usersConfig } from '@tessera/users';

async function seedOne<C extends ClosableClient, X extends BaseContext>(definition: SubgraphDefinition<C, X>, config: SubgraphConfig) {
  const logger = createLogger({ service: `seed:${definition.name}`, level: config.logLevel, pretty: config.prettyLogs });
  const database = await openSubgraphDatabase(definition, config);
  try {
    await database.migrate();
    const client = definition.createClient(database.adapter);
    const started = Date.now();
    await definition.seed(client, config.seed, logger);
    logger.info({ durationMs: Date.now() - started, database: database.kind }, 'done');
    await client.$disconnect();
  } finally {
    await database.close();
  }
}

// A tool for development and benchmarks: development's defaults (the embedded databases)
// unless NODE_ENV says otherwise.
process.env.NODE_ENV ??= 'development';

runMain(async () => {
  await Promise.all([
    seedOne(usersSubgraph, usersConfig()),
    seedOne(productsSubgraph, productsConfig()),
    seedOne(reviewsSubgraph, reviewsConfig()),
  ]);
});
