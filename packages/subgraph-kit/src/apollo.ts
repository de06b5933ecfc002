import { ApolloServer, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { Registry } from 'prom-client';
import {
  createFormatError,
  createGraphQLOverHttpPlugin,
  createMemoryKeyValueCache,
  createRequestLogPlugin,
  type Logger,
} from '@tessera/service-kit';
import { createInvalidationReportPlugin } from './cache-invalidation.js';
import type { ClosableClient, SubgraphDefinition } from './definition.js';
import { databaseFailureCode } from './prisma-errors.js';
import { createRequestGuardsPlugin, type RequestLimits } from './request-guards.js';

/** Options of {@link createSubgraphApollo}. */
export interface SubgraphApolloOptions<Context extends BaseContext = BaseContext> {
  logger: Logger;
  /** The subgraph's own request limits. */
  limits: RequestLimits;
  /**
   * Introspection, and field suggestions in error messages ("Did you mean …?"), which
   * rebuild the schema just as well. Composition reads `_service { sdl }`, not introspection.
   * @default true outside production
   */
  introspection: boolean;
  /** Where the RED metrics of every operation go. */
  registry?: Registry;
  /** The schema, when the caller built it to serve it elsewhere too (subscriptions). @default built from the definition */
  schema?: GraphQLSchema;
  /** The runtime's own plugins (where reads go), before the request log. */
  plugins?: ApolloServerPlugin<Context>[];
}

/** The subgraph's executable schema: its type definitions and resolvers, with federation's `_service` and `_entities`. */
export function subgraphSchema<Client extends ClosableClient, Context extends BaseContext>(
  definition: SubgraphDefinition<Client, Context>,
): GraphQLSchema {
  return buildSubgraphSchema([{ typeDefs: definition.typeDefs, resolvers: definition.resolvers }]);
}

/** How a subgraph formats errors: deliberate ones pass, a database that is down or too slow is named as such, anything else is masked and logged. */
export function subgraphFormatError(logger: Logger, introspection: boolean) {
  return createFormatError(logger, { classify: databaseFailureCode, hideSuggestions: !introspection });
}

/**
 * The subgraph's Apollo Server. Subgraphs sit behind the gateway, so they show no landing
 * page. Tests call `executeOperation` on it directly.
 */
export function createSubgraphApollo<Client extends ClosableClient, Context extends BaseContext>(
  definition: SubgraphDefinition<Client, Context>,
  { logger, limits, introspection, registry, schema = subgraphSchema(definition), plugins = [] }: SubgraphApolloOptions<Context>,
): ApolloServer<Context> {
  return new ApolloServer<Context>({
    schema,
    // A database that is down or too slow is named as such (DATABASE_UNAVAILABLE, DEADLINE_EXCEEDED), not masked as a bug.
    formatError: subgraphFormatError(logger, introspection),
    includeStacktraceInErrorResponses: false,
    introspection,
    hideSchemaDetailsFromClientErrors: !introspection,
    // Parsed and validated documents by hash, 4 MiB of them at most. The gateway sends a few
    // shapes of query plan fetches, so a small store holds them all, and documents sent to
    // fill it (one unique document per request) cannot grow the heap by the 30 MiB of
    // Apollo's default store.
    documentStore: createMemoryKeyValueCache<DocumentNode>({ maxSize: 4 * 1_048_576 }),
    // onShutdownSignal drains HTTP first, then stops Apollo; Apollo's own handler would
    // re-raise the signal and kill the process mid-drain.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      // Federated traces only matter to Apollo Studio usage reporting, which Tessera does not use.
      ApolloServerPluginInlineTraceDisabled(),
      // No schema declares @cacheControl and the gateway sets its own Cache-Control; the
      // default plugin would still wrap every resolver to compute a policy nobody reads.
      ApolloServerPluginCacheControlDisabled(),
      createRequestGuardsPlugin(limits),
      createInvalidationReportPlugin(),
      createGraphQLOverHttpPlugin(),
      ...plugins,
      createRequestLogPlugin(logger.child({ component: 'graphql' }), { registry }),
    ],
  });
}
