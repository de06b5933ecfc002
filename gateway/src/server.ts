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
import { createAuthenticationGuard, createTokenVerifier } from './auth/index.js';
import { createAdmissionPlugin } from './plugins/admission/index.js';
import { createAuthorization, type AuthorizationContext } from './plugins/authorization/index.js';
import { createOperationLimits, type CostContext } from './plugins/limits/index.js';
import { createPersistedQueries, type PersistedQueryContext } from './plugins/persisted-queries/index.js';
import { connectRedis } from './redis.js';
import { createSubgraphClients } from './subgraphs/index.js';
import { createSupergraph } from './supergraph/index.js';

/** Who a request acts for, and what the gateway's plugins note about it. */
type GatewayContext = AuthorizationContext & CostContext & PersistedQueryContext;

/**
 * The gateway: Apollo Gateway on Apollo Server, assembled from its parts — authentication,
 * the subgraph clients, the supergraph, persisted queries, operation limits and
 * authorization — each built from its own slice of the configuration, with readiness made of
 * the parts' own checks.
 */
export function createGatewayServer(config: GatewayConfig, logger: Logger): HttpServer {
  const { persistedQueries: pq } = config;
  const redis = pq.redisUrl ? connectRedis(pq.redisUrl, pq.redisTimeoutMs, logger) : undefined;
  const authentication = createAuthenticationGuard(config.auth && createTokenVerifier(config.auth));
  const subgraphs = createSubgraphClients({ ...config.subgraphs, signingKeys: config.signingKeys, logger });
  const supergraph = createSupergraph({ source: config.supergraph, buildService: subgraphs.buildService, logger });
  // Request headers that change an answer: the media type negotiated (and so the status), the caller.
  const persistedQueries = createPersistedQueries({ ...pq, redis, varyHeaders: ['accept', 'authorization'], logger });
  const authorization = createAuthorization({ requirements: supergraph.authorization });
  const limits =
    config.limits.mode === 'off'
      ? undefined
      : createOperationLimits({ ...config.limits, mode: config.limits.mode, costDirectives: supergraph.costDirectives, logger });

  const apollo = new ApolloServer<GatewayContext>({
    ...serverSettings(config, logger),
    gateway: supergraph.gateway,
    persistedQueries: persistedQueries.apq,
    plugins: [
      landingPage(config.landingPage),
      persistedQueries.plugin,
      ...(limits ? [limits.plugin] : []),
      authorization.plugin,
      // In this order: an operation off the persisted query list is refused as such, before its
      // cost is looked at; cost and shape are checked on the operation as sent (an upper bound of
      // what runs) before authorization takes out what the caller may not see.
      createAdmissionPlugin<GatewayContext>([persistedQueries.admit, limits?.admit, authorization.admit]),
      createGraphQLOverHttpPlugin<GatewayContext>(),
      createRequestLogPlugin<GatewayContext>(logger.child({ component: 'graphql' }), (context) => ({ cost: context.cost?.estimated })),
    ],
  });

  const server = createHttpServer({
    apollo,
    context: async (request): Promise<GatewayContext> => ({ identity: authentication.identityOf(request) }),
    guard: authentication.guard,
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

/** Apollo Server's own settings: parser and batch limits, introspection, what errors may say. */
function serverSettings(config: GatewayConfig, logger: Logger) {
  return {
    parseOptions: { maxTokens: config.maxTokens },
    allowBatchedHttpRequests: config.maxBatchOperations > 0,
    introspection: config.introspection,
    // Field suggestions ("Did you mean …?") rebuild the schema as well as introspection does.
    hideSchemaDetailsFromClientErrors: !config.introspection,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    // onShutdownSignal drains HTTP first, then stops Apollo; Apollo's own handler would
    // re-raise the signal and kill the process mid-drain.
    stopOnTerminationSignals: false,
    formatError: createFormatError(logger),
  };
}

/** Apollo Sandbox in development; nothing in production. */
function landingPage(enabled: boolean): ApolloServerPlugin<GatewayContext> {
  return enabled ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }) : ApolloServerPluginLandingPageDisabled();
}
