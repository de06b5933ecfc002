import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import {
  allReady,
  connectRedis,
  createFormatError,
  createGraphQLOverHttpPlugin,
  createHttpServer,
  createMetricsRegistry,
  createRequestLog,
  startMetricsServer,
  startTracing,
  TRACEPARENT_HEADER,
  type Guard,
  type HttpServer,
  type HttpServerOptions,
  type Logger,
  type MetricsServer,
  type MetricsServerOptions,
  type RawBodyRequest,
} from '@tessera/service-kit';
import type { Registry } from 'prom-client';
import type { GatewayConfig } from './config.js';
import { createAuthenticationGuard, createTokenVerifier } from './auth/index.js';
import { createAdmissionPlugin, type AdmissionStep } from './plugins/admission/index.js';
import { createAuthorization, type AuthorizationContext } from './plugins/authorization/index.js';
import { createCache, type ResponseCacheContext } from './plugins/cache/index.js';
import { createErrorLimitPlugin } from './plugins/error-limit/index.js';
import { createIdempotency, createKeyClaims, type IdempotencyContext } from './plugins/idempotency/index.js';
import { createOperationLimits, type CostContext } from './plugins/limits/index.js';
import { createPersistedQueries, DEVELOPER_KEY_HEADER, type PersistedQueryContext } from './plugins/persisted-queries/index.js';
import { createRateLimit, type RateLimitContext } from './plugins/rate-limit/index.js';
import { createSharedAnswers, keepAnswerLine, type SharedAnswerContext, type SharedAnswers } from './plugins/shared-answers/index.js';
import { deduplicateExecution, type ExecutingGateway } from './operation/index.js';
import { createSubgraphClients, type SubgraphCallContext } from './subgraphs/index.js';
import { createSupergraph } from './supergraph/index.js';

/** Who a request acts for, its deadline and ids, and what the gateway's plugins note about it. */
type GatewayContext = AuthorizationContext &
  CostContext &
  PersistedQueryContext &
  RateLimitContext &
  IdempotencyContext &
  SubgraphCallContext &
  ResponseCacheContext &
  SharedAnswerContext;

/**
 * The gateway: Apollo Gateway on Apollo Server, assembled from its parts — authentication,
 * the subgraph clients, the supergraph, persisted queries, operation limits, rate limits,
 * idempotency keys and authorization — each built from its own slice of the configuration,
 * with readiness made of the gateway's own parts (a subgraph that is down costs its fields,
 * not the replica's place behind the load balancer) and metrics on a listener of their own.
 */
export function createGatewayServer(config: GatewayConfig, logger: Logger): HttpServer {
  const { persistedQueries: pq } = config;
  const tracing = startTracing({ service: 'gateway', endpoint: config.otlpEndpoint });
  const registry = createMetricsRegistry('gateway');
  const redis = pq.redisUrl
    ? connectRedis({ url: pq.redisUrl, timeoutMs: pq.redisTimeoutMs, cluster: pq.redisCluster, logger })
    : undefined;
  const authentication = createAuthenticationGuard(config.auth && createTokenVerifier(config.auth));
  // Request headers that change an answer: the media type negotiated (and so the status), the caller, a developer key.
  const varyHeaders = ['accept', 'authorization', DEVELOPER_KEY_HEADER];
  // The caches read the supergraph, created below around the data sources they wrap; only requests call `model`.
  const cache = createCache<GatewayContext>({
    settings: config.cache,
    redis,
    keyPrefix: pq.keyPrefix,
    model: () => supergraph.current()?.cacheModel,
    varyHeaders,
    logger,
    registry,
  });
  const subgraphs = createSubgraphClients({ ...config.subgraphs, signingKeys: config.signingKeys, wrap: cache.wrap, registry, logger });
  const supergraph = createSupergraph({ source: config.supergraph, buildService: subgraphs.buildService, logger });
  const health = subgraphs.watch(() => supergraph.current()?.subgraphs);
  supergraph.onUpdate(() => void health.check());
  const persistedQueries = createPersistedQueries({ ...pq, redis, logger, registry });
  const authorization = createAuthorization({ requirements: supergraph.authorization });
  const limits =
    config.limits.mode === 'off'
      ? undefined
      : createOperationLimits({
          ...config.limits,
          mode: config.limits.mode,
          maxTokens: config.maxTokens,
          costDirectives: supergraph.costDirectives,
          logger,
          registry,
        });
  const rateLimit =
    config.rateLimit &&
    createRateLimit<GatewayContext>({
      settings: config.rateLimit,
      redis,
      keyPrefix: pq.keyPrefix,
      identityOf: authentication.identityOf,
      logger,
    });
  const idempotency = createIdempotency<GatewayContext>({ claims: createKeyClaims({ redis, keyPrefix: pq.keyPrefix, logger }) });
  const requestLog = createRequestLog<GatewayContext>(logger.child({ component: 'graphql' }), {
    fields: (context) => ({ cost: context.cost?.estimated }),
    registry,
    onLine: keepAnswerLine,
  });
  const sharing = config.deduplicateOperations
    ? createSharedAnswers<GatewayContext>({
        identityOf: authentication.identityOf,
        chargeShared: rateLimit ? rateLimit.chargeShared : undefined,
        log: requestLog,
        registry,
      })
    : undefined;

  const apollo = createApollo(config, logger, {
    gateway: config.deduplicateOperations ? deduplicateExecution(supergraph.gateway, registry) : supergraph.gateway,
    persistedQueries,
    // In this order: an operation off the persisted query list is refused as such, before its
    // cost is looked at; cost and shape are checked on the operation as sent (an upper bound of
    // what runs), then the caller's rate limit is charged that cost, before authorization takes
    // out what the caller may not see; an idempotency key is bound to a mutation that will run.
    admission: [persistedQueries.admit, limits?.admit, rateLimit?.admit, authorization.admit, idempotency.admit],
    plugins: [
      persistedQueries.plugin,
      ...(limits ? [limits.plugin] : []),
      authorization.plugin,
      // After authorization: its answer for an operation nothing of which remains comes first.
      ...cache.plugins,
      idempotency.plugin,
      createErrorLimitPlugin({ maxErrors: config.maxResponseErrors }),
      ...(sharing ? [sharing.plugin] : []),
    ],
    requestLog: requestLog.plugin,
  });

  const readiness = allReady({ supergraph: supergraph.ready, 'persisted queries': persistedQueries.ready });
  const server = createGatewayHttp(config, logger, { apollo, authentication, rateLimit, limits, sharing, readiness, registry });
  const views = { '/health/details': () => ({ subgraphs: health.details() }) };
  return withMetricsListener(
    server,
    { registry, port: config.metricsPort, host: config.host, logger, views, actions: cache.actions },
    async () => {
      await subgraphs.close();
      persistedQueries.close();
      await redis?.quit().catch(() => redis.disconnect());
      await tracing.shutdown();
    },
  );
}

/** The HTTP server in front of Apollo: the request context, the guards in their order, the limits of the configuration. */
function createGatewayHttp(
  config: GatewayConfig,
  logger: Logger,
  parts: {
    apollo: HttpServerOptions<GatewayContext>['apollo'];
    authentication: ReturnType<typeof createAuthenticationGuard>;
    rateLimit?: { guard: Guard; creditOf(request: RawBodyRequest): GatewayContext['rateLimitCredit'] } | false;
    limits?: { guard?: Guard };
    sharing?: SharedAnswers<GatewayContext>;
    readiness: HttpServerOptions<GatewayContext>['readiness'];
    registry: Registry;
  },
): HttpServer {
  const { apollo, authentication, rateLimit, limits, sharing, readiness, registry } = parts;
  return createHttpServer({
    apollo,
    context: async (request) => ({
      ...requestContext(request, authentication.identityOf(request), config.requestTimeoutMs),
      rateLimitCredit: rateLimit ? rateLimit.creditOf(request) : undefined,
      answerTicket: sharing?.ticketOf(request),
    }),
    // After the guards: an identical request in flight answers this one.
    execute: sharing?.execute,
    // In this order: who asks; what the request costs them before anything is parsed; a
    // document over a limit refused before Apollo parses and validates it.
    guards: [authentication.guard, rateLimit ? rateLimit.guard : undefined, limits?.guard],
    logger,
    corsOrigins: config.corsOrigins,
    bodyLimit: config.bodyLimitBytes,
    maxBatchOperations: config.maxBatchOperations,
    readiness,
    concurrency: config.concurrency,
    registry,
    trustProxy: config.trustProxy,
    shutdownDelayMs: config.shutdownDelayMs,
  });
}

/** The server with its internal listener (`/metrics`, the JSON views) started and stopped along, and `closeParts` run after the HTTP drain. */
function withMetricsListener(server: HttpServer, options: MetricsServerOptions, closeParts: () => Promise<void>): HttpServer {
  let metrics: MetricsServer | undefined;
  return {
    ...server,
    async listen(port, host) {
      metrics = await startMetricsServer({ ...options, host: host ?? options.host });
      return server.listen(port, host);
    },
    async close() {
      await server.close();
      await closeParts();
      await metrics?.close();
    },
  };
}

/** Apollo Server with the gateway, its plugins and the admission steps in their order. */
function createApollo(
  config: GatewayConfig,
  logger: Logger,
  parts: {
    gateway: ExecutingGateway;
    persistedQueries: ReturnType<typeof createPersistedQueries>;
    admission: Array<AdmissionStep<GatewayContext> | undefined>;
    plugins: Array<ApolloServerPlugin<GatewayContext>>;
    /** Last, so that it logs the status the plugins before it settled. */
    requestLog: ApolloServerPlugin<GatewayContext>;
  },
): ApolloServer<GatewayContext> {
  return new ApolloServer<GatewayContext>({
    ...serverSettings(config, logger),
    gateway: parts.gateway,
    persistedQueries: parts.persistedQueries.apq,
    plugins: [
      landingPage(config.landingPage),
      ...parts.plugins,
      createAdmissionPlugin<GatewayContext>(parts.admission),
      createGraphQLOverHttpPlugin<GatewayContext>(),
      parts.requestLog,
    ],
  });
}

/** A request's context: who it acts for, when it must be answered, and what identifies it downstream. */
function requestContext(request: RawBodyRequest, identity: GatewayContext['identity'], timeoutMs: number): GatewayContext {
  const traceparent = request.headers[TRACEPARENT_HEADER];
  return {
    identity,
    deadline: Date.now() + timeoutMs,
    requestId: request.id,
    clientAddress: request.ip,
    ...(typeof traceparent === 'string' && { traceparent }),
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
    formatError: createFormatError(logger, { hideSuggestions: !config.introspection }),
  };
}

/** Apollo Sandbox in development; nothing in production. */
function landingPage(enabled: boolean): ApolloServerPlugin<GatewayContext> {
  return enabled
    ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
    : ApolloServerPluginLandingPageDisabled();
}
