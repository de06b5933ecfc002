import type { BaseContext } from '@apollo/server';
import { openDatabase, type Database } from '@tessera/prisma';
import { createLogger } from '@tessera/service-kit';
import { createSubgraphApollo, DEFAULT_MAX_BATCH_SIZE, type ClosableClient, type SubgraphDefinition } from '@tessera/subgraph-kit';

/** A subgraph's Apollo Server on a fresh in-memory (or given PostgreSQL) database, for `executeOperation` tests. */
export interface SubgraphHarness<Client> {
  client: Client;
  database: Database;
  /** Runs one operation with a fresh per-request context; returns the single result. */
  execute(query: string, variables?: Record<string, unknown>): Promise<{ data?: any; errors?: any[] }>;
  close(): Promise<void>;
}

/**
 * Builds the subgraph exactly as `startSubgraph` does (same schema, resolvers, error
 * formatting), minus HTTP. `url` selects a PostgreSQL database; default is in-memory PGlite.
 */
export async function createSubgraphHarness<Client extends ClosableClient, Context extends BaseContext>(
  definition: SubgraphDefinition<Client, Context>,
  { url, maxPageSize = 100, loaders = { batch: true, maxBatchSize: DEFAULT_MAX_BATCH_SIZE } }: { url?: string; maxPageSize?: number; loaders?: { batch: boolean; maxBatchSize: number } } = {},
): Promise<SubgraphHarness<Client>> {
  const database = await openDatabase({ name: definition.name, url, dataDir: 'memory://' });
  await database.migrate();
  const client = definition.createClient(database.adapter);
  const apollo = createSubgraphApollo(definition, createLogger({ service: definition.name, level: 'silent' }));
  await apollo.start();
  return {
    client,
    database,
    async execute(query, variables) {
      const contextValue = definition.createContext(client, { maxPageSize, loaders } as Parameters<typeof definition.createContext>[1]);
      const response = await apollo.executeOperation({ query, variables }, { contextValue });
      if (response.body.kind !== 'single') throw new Error('expected a single result');
      return response.body.singleResult as { data?: any; errors?: any[] };
    },
    async close() {
      await apollo.stop();
      await client.$disconnect();
      await database.close();
    },
  };
}
