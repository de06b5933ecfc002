import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { Logger } from 'pino';
import { createFormatError, createRequestLogPlugin } from '@tessera/service-kit';
import type { ClosableClient, SubgraphDefinition } from './definition.js';

/**
 * The subgraph's Apollo Server. Subgraphs sit behind the gateway, so they show no landing
 * page; introspection stays on for composition tooling. Tests call `executeOperation` on it directly.
 */
export function createSubgraphApollo<Client extends ClosableClient, Context extends BaseContext>(
  definition: SubgraphDefinition<Client, Context>,
  logger: Logger,
): ApolloServer<Context> {
  return new ApolloServer<Context>({
    schema: buildSubgraphSchema([{ typeDefs: definition.typeDefs, resolvers: definition.resolvers }]),
    formatError: createFormatError(logger),
    includeStacktraceInErrorResponses: false,
    // onShutdownSignal drains HTTP first, then stops Apollo; Apollo's own handler would
    // re-raise the signal and kill the process mid-drain.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      // Federated traces only matter to Apollo Studio usage reporting, which Tessera does not use.
      ApolloServerPluginInlineTraceDisabled(),
      createRequestLogPlugin(logger.child({ component: 'graphql' })),
    ],
  });
}
