import { ApolloServer, type ApolloServerOptions, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import {
  allReady,
  createFormatError,
  createGraphQLOverHttpPlugin,
  createHttpServer,
  createMetricsRegistry,
  createRequestLog,
  startMetricsServer,
  TRACEPARENT_HEADER,
  type HttpServer,
  type Logger,
  type MetricsServer,
  type MetricsServerOptions,
  type RawBodyRequest,
  type RedisClient,
} from '@tessera/service-kit';
import type { Registry } from 'prom-client';
import type { GatewayConfig } from './config.js';
import { createAuthorization } from './features/authorization/index.js';
import { createCache } from './features/cache/index.js';
import { createDeduplication } from './features/deduplication/index.js';
import { createReadYourWrites } from './features/read-your-writes/index.js';
import { createDefer } from './features/defer/index.js';
import { createProgressiveOverride } from './features/override/index.js';
import { createErrorLimit } from './features/error-limit/index.js';
import { createIdempotency, createKeyClaims } from './features/idempotency/index.js';
import { createIdentity, createTokenVerifier, expiresAtOf, type IdentityFeature } from './features/identity/index.js';
import { createDocumentLimits, createOperationLimits } from './features/limits/index.js';
import { createPersistedQueries, DEVELOPER_KEY_HEADER } from './features/persisted-queries/index.js';
import { createRateLimit } from './features/rate-limit/index.js';
import { createSharedAnswers, type SharedAnswersFeature } from './features/shared-answers/index.js';
import {
  assembleFeatures,
  withExecutionSteps,
  type AssembledFeatures,
  type GatewayContext,
  type GatewayFeature,
} from './pipeline/index.js';
import { createSubscriptions } from './subscriptions/index.js';
import { createSupergraph } from './supergraph/index.js';
import { createSubgraphClients, type SubgraphClients } from './upstream/index.js';

/** What the gateway is handed rather than creates: made in `main.ts`, closed there after the server. */
export interface GatewayInfrastructure {
  logger: Logger;
  /** The Redis every replica shares (see `connectRedis`); without one, each process keeps its own (APQ, limits) or goes without (caches). */
  redis?: RedisClient;
}

/** Request headers that can change an answer: the media type negotiated (and so the status), the caller, a developer key. */
const VARY_HEADERS = ['accept', 'authorization', DEVELOPER_KEY_HEADER];

/**
 * The gateway: Apollo Gateway on Apollo Server, made of an ordered list of features (see
 * {@link gatewayFeatures}), with readiness made of its own parts (a subgraph that is down costs
 * its fields, not the replica's place behind the load balancer) and metrics on a listener of their own.
 */
export function createGatewayServer(config: GatewayConfig, { logger, redis }: GatewayInfrastructure): HttpServer {
  const registry = createMetricsRegistry('gateway');
  const requestLog = createRequestLog<GatewayContext>(logger.child({ component: 'graphql' }), {
    fields: (context) => ({ cost: built.costOf(context) }),
    registry,
    onLine: (context, line) => built.sharedAnswers?.keepLine(context, line),
  });
  const formatError = createFormatError(logger, { hideSuggestions: !config.introspection });
  const built = gatewayFeatures(config, { logger, redis, registry, requestLog, formatError });
  const parts = assembleFeatures(built.features);
  const supergraph = createSupergraph({
    source: config.supergraph,
    buildService: built.subgraphs.buildService(parts.wrapSubgraph),
    logger,
  });
  supergraph.onUpdate(parts.onSupergraph);
  const apollo = new ApolloServer<GatewayContext>({
    ...serverSettings(config, formatError),
    gateway: withExecutionSteps(supergraph.gateway, parts.execution),
    persistedQueries: built.apq,
    // Last, the request log: it logs the status the plugins before it settled.
    plugins: [landingPage(config.landingPage), ...parts.plugins, createGraphQLOverHttpPlugin<GatewayContext>(), requestLog.plugin],
  });
  const subscriptions = gatewaySubscriptions(config, { built, parts, apollo, formatError, registry, logger });
  supergraph.onUpdate(subscriptions.onSupergraph);
  const server = createHttpServer<GatewayContext>({
    apollo,
    context: async (request) => requestContext(request, built.identity.identityOf(request), config.requestTimeoutMs),
    eventStreams: subscriptions.eventStreams,
    webSockets: subscriptions.webSockets,
    guards: parts.guards,
    execute: parts.around,
    readiness: allReady({ supergraph: supergraph.ready, ...parts.readiness }),
    ...httpSettings(config),
    logger,
    registry,
  });
  const internal = { registry, port: config.metricsPort, host: config.host, logger, views: parts.views, actions: parts.actions };
  return withMetricsListener(server, internal, async () => {
    await subscriptions.close();
    await parts.close();
    await built.subgraphs.close();
  });
}

/** Subscriptions on the gateway's features, its subgraph data sources and its Apollo Server (for queries sent as a stream or over a socket). */
function gatewaySubscriptions(
  config: GatewayConfig,
  {
    built,
    parts,
    apollo,
    formatError,
    registry,
    logger,
  }: {
    built: BuiltFeatures;
    parts: AssembledFeatures;
    apollo: ApolloServer<GatewayContext>;
    formatError: ReturnType<typeof createFormatError>;
    registry: Registry;
    logger: Logger;
  },
) {
  return createSubscriptions({
    ...config.subscriptions,
    features: parts,
    buildService: built.subgraphs.buildService(parts.wrapSubgraph),
    routingUrl: (name, url) => built.subgraphs.routingUrl(name, url),
    signingKey: config.signingKeys?.[0],
    contextOf: (request, identity) => requestContext(request, identity ?? built.identity.identityOf(request), config.requestTimeoutMs),
    identityOf: built.identity.identityOf,
    authenticate: built.identity.authenticate,
    expiresAtOf,
    apollo,
    formatError,
    maxTokens: config.maxTokens,
    eventTimeoutMs: config.requestTimeoutMs,
    allowedOrigins: config.corsOrigins,
    registry,
    logger,
  });
}

/** The gateway's features and what is built along with them. */
interface BuiltFeatures {
  /** In order: at each point of a request, the features acting there act in this order (see {@link GatewayFeature}). */
  features: GatewayFeature[];
  /** Who a request acts for, once the identity guard has run; what a token given otherwise (a socket's) says. */
  identity: IdentityFeature;
  /** The operation's estimated cost (none with the limits off). */
  costOf: (context: GatewayContext) => number | undefined;
  sharedAnswers?: SharedAnswersFeature;
  apq: ApolloServerOptions<GatewayContext>['persistedQueries'];
  subgraphs: SubgraphClients;
}

/** What the features are built with besides the configuration. */
type FeatureInfrastructure = GatewayInfrastructure & {
  registry: Registry;
  requestLog: ReturnType<typeof createRequestLog<GatewayContext>>;
  formatError: ReturnType<typeof createFormatError>;
};

/**
 * The features in their order, each built from its own slice of the configuration. The order is
 * what makes it right, point by point:
 * - guards: who asks (identity); what the request costs them before anything is parsed (rate
 *   limit); a document over a limit refused before Apollo parses and validates it (document limits);
 * - admission: an operation off the persisted query list refused as such, before its cost is
 *   looked at; cost and shape checked on the operation as sent (an upper bound of what runs); the
 *   caller charged that cost; what the caller may not see taken out (authorization); an
 *   idempotency key bound to a mutation that will run;
 * - Apollo's hooks: authorization's answer for an operation nothing of which remains before the
 *   response cache's; every error added (authorization) before the error limit counts them;
 * - execution: authorization hands deduplication the document that runs; an answer in parts
 *   (`@defer`) is never shared.
 */
function gatewayFeatures(
  config: GatewayConfig,
  { logger, redis, registry, requestLog, formatError }: FeatureInfrastructure,
): BuiltFeatures {
  const keyPrefix = config.redisKeyPrefix;
  const identity = createIdentity(config.auth && createTokenVerifier(config.auth));
  const persistedQueries = createPersistedQueries({ ...config.persistedQueries, redis, keyPrefix, logger, registry });
  const limits = config.limits && createOperationLimits({ ...config.limits, logger, registry });
  const costOf = limits ? limits.costOf : () => undefined;
  const rateLimit =
    config.rateLimit && createRateLimit({ ...config.rateLimit, redis, keyPrefix, identityOf: identity.identityOf, costOf, logger });
  // Measure mode refuses nothing: the operation limits log what it would have refused.
  const documentLimits =
    config.limits?.mode === 'enforce'
      ? createDocumentLimits({ limits: config.limits, maxTokens: config.maxTokens, logger, registry })
      : undefined;
  const authorization = createAuthorization();
  const cache = createCache({
    ...config.cache,
    redis,
    keyPrefix,
    varyHeaders: VARY_HEADERS,
    filtered: authorization.filtered,
    logger,
    registry,
  });
  const idempotency = createIdempotency({ claims: createKeyClaims({ redis, keyPrefix, logger }) });
  const chargeShared = rateLimit ? rateLimit.chargeShared : undefined;
  const sharedAnswers = config.deduplicateOperations
    ? createSharedAnswers({ identityOf: identity.identityOf, chargeShared, costOf, log: requestLog, registry })
    : undefined;
  const subgraphs = createSubgraphClients({
    ...config.subgraphs,
    signingKeys: config.signingKeys,
    idempotencyOf: idempotency.noteOf,
    registry,
    logger,
  });
  const features = [
    identity,
    persistedQueries,
    limits,
    rateLimit,
    documentLimits,
    authorization,
    cache,
    createReadYourWrites({ redis, keyPrefix, ttlSeconds: config.readYourWritesTtlSeconds, logger, registry }),
    idempotency,
    createErrorLimit({ maxErrors: config.maxResponseErrors }),
    createDefer({ formatError, registry, logger: logger.child({ component: 'defer' }) }),
    createProgressiveOverride({ enabledLabels: config.overrideLabels, registry }),
    sharedAnswers,
    config.deduplicateOperations ? createDeduplication({ registry }) : undefined,
    subgraphs.health,
  ];
  const present = features.filter((feature): feature is GatewayFeature => Boolean(feature));
  return { features: present, identity, costOf, sharedAnswers, apq: persistedQueries.apq, subgraphs };
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

/** A request's context: who it acts for, when it must be answered, what identifies it downstream. */
function requestContext(request: RawBodyRequest, identity: GatewayContext['identity'], timeoutMs: number): GatewayContext {
  const traceparent = request.headers[TRACEPARENT_HEADER];
  return {
    identity,
    deadline: Date.now() + timeoutMs,
    requestId: request.id,
    clientAddress: request.ip,
    httpRequest: request,
    ...(typeof traceparent === 'string' && { traceparent }),
  };
}

/** The HTTP server's limits, from the configuration. */
function httpSettings(config: GatewayConfig) {
  return {
    corsOrigins: config.corsOrigins,
    bodyLimit: config.bodyLimitBytes,
    maxBatchOperations: config.maxBatchOperations,
    concurrency: config.concurrency,
    trustProxy: config.trustProxy,
    shutdownDelayMs: config.shutdownDelayMs,
  };
}

/** Apollo Server's own settings: parser and batch limits, introspection, what errors may say. */
function serverSettings(config: GatewayConfig, formatError: ReturnType<typeof createFormatError>) {
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
    formatError,
  };
}

/** Apollo Sandbox in development; nothing in production. */
function landingPage(enabled: boolean): ApolloServerPlugin<GatewayContext> {
  return enabled
    ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
    : ApolloServerPluginLandingPageDisabled();
}
