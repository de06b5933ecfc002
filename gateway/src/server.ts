import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import {
  allReady,
  createFormatError,
  createGraphQLOverHttpPlugin,
  createHttpServer,
  createRequestLogPlugin,
  type HttpServer,
  type Logger,
} from '@tessera/service-kit';
import type { GatewayConfig } from './config.js';
import { createAdmissionPlugin } from './plugins/admission/index.js';
import { createOperationLimits, type CostContext } from './plugins/limits/index.js';
import { createPersistedQueries, type PersistedQueryContext } from './plugins/persisted-queries/index.js';
import { connectRedis } from './redis.js';
import { createSubgraphClients } from './subgraphs/index.js';
import { createSupergraph } from './supergraph/index.js';

/** What the gateway's plugins note about one request. */
type GatewayContext = CostContext & PersistedQueryContext;

/**
 * The gateway: Apollo Gateway on Apollo Server, assembled from its parts — the subgraph
 * clients, the supergraph, persisted queries and operation limits — each built from its own
 * slice of the configuration, with readiness made of the parts' own checks.
 */
export function createGatewayServer(config: GatewayConfig, logger: Logger): HttpServer {
  const { persistedQueries: pq } = config;
  const redis = pq.redisUrl ? connectRedis(pq.redisUrl, pq.redisTimeoutMs, logger) : undefined;
  const subgraphs = createSubgraphClients({ ...config.subgraphs, logger });
  const supergraph = createSupergraph({ source: config.supergraph, buildService: subgraphs.buildService, logger });
  // Request headers that change an answer: the media type negotiated (and so the status).
  const persistedQueries = createPersistedQueries({ ...pq, redis, varyHeaders: ['accept'], logger });
  const limits =
    config.limits.mode === 'off'
      ? undefined
      : createOperationLimits({ ...config.limits, mode: config.limits.mode, costDirectives: supergraph.costDirectives, logger });

  const apollo = new ApolloServer<GatewayContext>({
    gateway: supergraph.gateway,
    parseOptions: { maxTokens: config.maxTokens },
    allowBatchedHttpRequests: config.maxBatchOperations > 0,
    persistedQueries: persistedQueries.apq,
    introspection: config.introspection,
    // Field suggestions ("Did you mean …?") rebuild the schema as well as introspection does.
    hideSchemaDetailsFromClientErrors: !config.introspection,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    // onShutdownSignal drains HTTP first, then stops Apollo; Apollo's own handler would
    // re-raise the signal and kill the process mid-drain.
    stopOnTerminationSignals: false,
    formatError: createFormatError(logger),
    plugins: [
      landingPage(config.landingPage),
      persistedQueries.plugin,
      ...(limits ? [limits.plugin] : []),
      // In this order: an operation off the persisted query list is refused as such, before its cost is looked at.
      createAdmissionPlugin<GatewayContext>([persistedQueries.admit, limits?.admit]),
      createGraphQLOverHttpPlugin<GatewayContext>(),
      createRequestLogPlugin<GatewayContext>(logger.child({ component: 'graphql' }), (context) => ({ cost: context.cost?.estimated })),
    ],
  });

  const server = createHttpServer({
    apollo,
    context: async (): Promise<GatewayContext> => ({}),
    logger,
    corsOrigins: config.corsOrigins,
    bodyLimit: config.bodyLimitBytes,
    maxBatchOperations: config.maxBatchOperations,
    readiness: allReady({
      supergraph: supergraph.ready,
      'persisted queries': persistedQueries.ready,
      subgraphs: () => subgraphs.ready(supergraph.current()?.subgraphs),
    }),
  });
  return {
    ...server,
    async close() {
      await server.close();
      await subgraphs.close();
      persistedQueries.close();
      await redis?.quit().catch(() => redis.disconnect());
    },
  };
}

/** Apollo Sandbox in development; nothing in production. */
function landingPage(enabled: boolean): ApolloServerPlugin<GatewayContext> {
  return enabled ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }) : ApolloServerPluginLandingPageDisabled();
}
