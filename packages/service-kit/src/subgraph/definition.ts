import type { BaseContext } from '@apollo/server';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import type { Database, DatabaseName } from '@tessera/prisma';
import type { SeedSizes } from '@tessera/seed-data';
import type { DocumentNode } from 'graphql';
import type { Logger } from 'pino';
import type { SubgraphConfig } from '../subgraph-config.js';

/** The Prisma client surface the runtime needs. */
export interface ClosableClient {
  $disconnect(): Promise<void>;
}

/**
 * What makes one subgraph: its schema and resolvers, how it builds a Prisma client and a
 * per-request context, and how it seeds its database. `startSubgraph` does the rest.
 */
export interface SubgraphDefinition<Client extends ClosableClient, Context extends BaseContext> {
  /** Also the name of its database. */
  name: DatabaseName;
  /** Port used when `<NAME>_PORT` is unset. */
  defaultPort: number;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<Context>;
  /** Builds the generated Prisma client for this database on a driver adapter. */
  createClient(adapter: Database['adapter']): Client;
  /** A fresh context per request: loaders must never be shared across requests. */
  createContext(client: Client, config: SubgraphConfig): Context;
  /** Whether the main table has no rows (then start-up seeds it). */
  isEmpty(client: Client): Promise<boolean>;
  /** Writes the deterministic demo rows; idempotent. */
  seed(client: Client, sizes: SeedSizes, logger: Logger): Promise<void>;
}
