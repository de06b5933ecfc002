import type { BaseContext } from '@apollo/server';
// Apollo's resolver map type; 2.14 exports it from this module only (2.15 also from the root).
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import type { Database, DatabaseName } from '@tessera/prisma';
import type { SeedSizes } from '@tessera/seed-data';
import { readFileSync } from 'node:fs';
import { parse, type DocumentNode } from 'graphql';
import type { Logger } from '@tessera/service-kit';
import type { SubgraphConfig } from './config.js';
import type { RawSql, TransactionalClient } from './idempotency.js';
import type { SubgraphRequest } from './request-scope.js';

/** The Prisma client surface the runtime needs: closing, raw SQL (the idempotency keys' sweep) and transactions (the events' relay). */
export interface ClosableClient extends TransactionalClient<RawSql> {
  $disconnect(): Promise<void>;
}

/**
 * What makes one subgraph: its schema and resolvers, how it builds a Prisma client and a
 * per-request context, and how it seeds its database. `startSubgraph` does the rest.
 */
export interface SubgraphDefinition<Client extends ClosableClient, Context extends BaseContext> {
  /** Also the name of its database. */
  name: DatabaseName;
  /**
   * Its database has the events outbox (`events`, `event_topics`): the runtime relays what its
   * writes record (`context.events.record`) and serves subscriptions to them. @default false
   */
  events?: boolean;
  typeDefs: DocumentNode;
  resolvers: SubgraphResolvers<Context>;
  /** Builds the generated Prisma client for this database on a driver adapter. */
  createClient(adapter: Database['adapter']): Client;
  /**
   * A fresh context per request (loaders must never be shared across requests): the identity
   * the gateway forwarded, the request's deadline signal, its loaders' batching and its
   * idempotency key are in `request`. `client` is the primary's, for writes; `reader` the one its
   * reads go through — a streaming replica's when one is configured, shows what the request must
   * see and lags within the bound, else the primary's (a mutation's reads always are).
   */
  createContext(client: Client, config: SubgraphConfig, request: SubgraphRequest, reader: Client): Context;
  /** Whether the main table has no rows (then start-up seeds it). */
  isEmpty(client: Client): Promise<boolean>;
  /** Writes the deterministic demo rows; idempotent. */
  seed(client: Client, sizes: SeedSizes, logger: Logger): Promise<void>;
}

/**
 * The resolver map `buildSubgraphSchema` takes. Resolvers typed by GraphQL Code Generator are
 * cast to it once, in the subgraph's definition: codegen's scalar and `__resolveReference`
 * signatures are stricter than Apollo's loose map.
 */
export type SubgraphResolvers<Context> = GraphQLResolverMap<Context>;

/** A subgraph's `schema.graphql`, parsed; read once at start-up. */
export function readTypeDefs(schemaFile: URL): DocumentNode {
  return parse(readFileSync(schemaFile, 'utf8'));
}
