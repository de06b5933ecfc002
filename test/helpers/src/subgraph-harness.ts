import type { BaseContext } from '@apollo/server';
import { openDatabase, type Database } from '@tessera/prisma';
import { ANONYMOUS, createLogger, type Identity } from '@tessera/service-kit';
import {
  createInvalidator,
  createRequestScopes,
  createSubgraphApollo,
  loadSubgraphConfig,
  type IdempotencyRequest,
  type ClosableClient,
  type SubgraphDefinition,
} from '@tessera/subgraph-kit';
import { TEST_AUTH } from './auth.js';
import type { GraphQLResponse } from './graphql-http.js';

/** What {@link SubgraphHarness.execute} passes along as the gateway would. */
export interface HarnessRequest {
  idempotency?: IdempotencyRequest;
}

/**
 * The result of an `execute` that names no data type, read freely by the subgraphs' own tests;
 * `execute<TData>` gives a checked {@link GraphQLResponse} instead.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the subgraphs' tests (outside this package) read these results untyped; typed callers use execute<TData>
export type UntypedResult = { data?: any; errors?: any[]; extensions?: Record<string, any> };

/** A subgraph's Apollo Server on a fresh in-memory (or given PostgreSQL) database, for `executeOperation` tests. */
export interface SubgraphHarness<Client> {
  client: Client;
  database: Database;
  /**
   * Runs one operation with a fresh per-request context, for `identity` (the harness's, by
   * default), with an idempotency key as the gateway forwards one; returns the single result.
   */
  execute(query: string, variables?: Record<string, unknown>, identity?: Identity, request?: HarnessRequest): Promise<UntypedResult>;
  /** The same, its `data` of the type given (what the operation selects), checked where it is read. */
  execute<TData>(
    query: string,
    variables?: Record<string, unknown>,
    identity?: Identity,
    request?: HarnessRequest,
  ): Promise<GraphQLResponse<TData>>;
  close(): Promise<void>;
}

/** Options of {@link createSubgraphHarness}. */
export interface SubgraphHarnessOptions {
  /** A PostgreSQL database to use. @default a fresh in-memory PGlite */
  url?: string;
  /** Variables the subgraph's configuration is read from, as at start-up (`SUBGRAPH_MAX_ENTITIES`, …). @default {} */
  env?: Record<string, string>;
  /** Who operations act for unless `execute` says otherwise, as the gateway would forward it. @default ANONYMOUS */
  identity?: Identity;
}

/**
 * Builds the subgraph exactly as `startSubgraph` does (configuration, schema, resolvers,
 * guards, error formatting), minus HTTP.
 */
export async function createSubgraphHarness<Client extends ClosableClient, Context extends BaseContext>(
  definition: SubgraphDefinition<Client, Context>,
  { url, env = {}, identity: defaultIdentity = ANONYMOUS }: SubgraphHarnessOptions = {},
): Promise<SubgraphHarness<Client>> {
  const config = loadSubgraphConfig(
    { name: definition.name, defaultPort: 0 },
    { NODE_ENV: 'test', EMBEDDED_DATABASE: 'true', SUBGRAPH_SIGNING_KEYS: TEST_AUTH.signingKeys, ...env },
  );
  const database = await openDatabase({ name: definition.name, url, dataDir: 'memory://' });
  await database.migrate();
  const client = definition.createClient(database.adapter);
  const logger = createLogger({ service: definition.name, level: 'silent' });
  const apollo = createSubgraphApollo(definition, { logger, limits: config.limits, introspection: config.introspection });
  await apollo.start();
  // No Redis here: writes only report what they changed (extensions.cacheInvalidations).
  const scopes = createRequestScopes({
    loaders: config.loaders,
    invalidations: createInvalidator({ keyPrefix: '', logger, subgraph: definition.name }),
  });
  return {
    client,
    database,
    async execute(
      query: string,
      variables?: Record<string, unknown>,
      identity: Identity = defaultIdentity,
      { idempotency }: HarnessRequest = {},
    ) {
      const response = await apollo.executeOperation(
        { query, variables },
        { contextValue: definition.createContext(client, config, scopes({ identity, ...(idempotency && { idempotency }) }), client) },
      );
      if (response.body.kind !== 'single') throw new Error('expected a single result');
      return response.body.singleResult as UntypedResult;
    },
    async close() {
      await apollo.stop();
      await client.$disconnect();
      await database.close();
    },
  };
}
