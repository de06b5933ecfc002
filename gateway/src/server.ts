import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { createFormatError, createHttpServer, createRequestLogPlugin, type HttpServer, type Logger } from '@tessera/service-kit';
import type { GatewayConfig } from './config.js';
import { SubgraphDataSource } from './subgraphs/data-source.js';
import { createUndiciFetcher } from './subgraphs/fetcher.js';
import { checkSubgraphsReady } from './subgraphs/readiness.js';
import { createOperationLimitsPlugin, readCostDirectives, type CostContext, type CostDirectives } from './plugins/limits/index.js';
import {
  createDeveloperKeyCheck,
  createManifestStore,
  createPersistedQueriesPlugin,
  createRedisCache,
  DEVELOPER_KEY_HEADER,
  type PersistedQueryContext,
} from './plugins/persisted-queries/index.js';
import { connectRedis } from './redis.js';
import { createSupergraphSource } from './supergraph/source.js';

/**
 * The gateway: Apollo Gateway on Apollo Server, serving the supergraph from the
 * configured source and calling subgraphs through a pooled undici client.
 */
type GatewayContext = CostContext & PersistedQueryContext;

export function createGatewayServer(config: GatewayConfig, logger: Logger): HttpServer {
  const pq = config.persistedQueries;
  const redis = pq.redisUrl ? connectRedis(pq.redisUrl, pq.redisTimeoutMs, logger) : undefined;
  const manifest = redis && pq.mode !== 'off' ? createManifestStore({ redis, prefix: pq.keyPrefix, refreshMs: pq.manifestRefreshMs, logger }) : undefined;
  const isDeveloper = createDeveloperKeyCheck(pq.developerKeys);
  const pool = createUndiciFetcher({ connections: config.subgraphConnections, timeoutMs: config.subgraphTimeoutMs });
  const routingUrls = new Map<string, string>();
  let loaded = false;
  let costDirectives: CostDirectives = { typeWeights: new Map(), fieldWeights: new Map(), listSizes: new Map() };

  const gateway = new ApolloGateway({
    supergraphSdl: createSupergraphSource(
      config.supergraphSource === 'file'
        ? { kind: 'file', path: config.supergraphPath }
        : { kind: 'compose', configPath: config.supergraphConfigPath },
      logger,
    ),
    buildService: ({ name, url }) => {
      const routingUrl = config.subgraphUrls[name] ?? url;
      if (!routingUrl) throw new Error(`subgraph "${name}" has no routing URL`);
      routingUrls.set(name, routingUrl);
      return new SubgraphDataSource(name, routingUrl, pool.fetcher, logger);
    },
    logger: logger.child({ component: 'apollo-gateway' }),
  });
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    costDirectives = readCostDirectives(coreSupergraphSdl);
    loaded = true;
  });

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    parseOptions: { maxTokens: config.maxTokens },
    allowBatchedHttpRequests: config.maxBatchOperations > 0,
    // APQ: shared by every replica through Redis when configured, else in memory per process.
    persistedQueries: {
      ttl: pq.apqTtlSeconds,
      ...(redis && { cache: createRedisCache({ redis, prefix: pq.keyPrefix, logger }) }),
    },
    introspection: config.introspection,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    // onShutdownSignal drains HTTP first, then stops Apollo; Apollo's own handler would
    // re-raise the signal and kill the process mid-drain.
    stopOnTerminationSignals: false,
    formatError: createFormatError(logger),
    plugins: [
      config.landingPage
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
        : ApolloServerPluginLandingPageDisabled(),
      ...(config.limits.mode === 'off'
        ? []
        : [createOperationLimitsPlugin({ ...config.limits, mode: config.limits.mode, costDirectives: () => costDirectives, logger })]),
      createPersistedQueriesPlugin({ mode: pq.mode, manifest, getMaxAgeSeconds: pq.getMaxAgeSeconds }),
      createRequestLogPlugin<GatewayContext>(logger.child({ component: 'graphql' }), (context) => ({ cost: context.cost?.estimated })),
    ],
  });

  const server = createHttpServer({
    apollo,
    context: async (request): Promise<GatewayContext> => ({ developer: isDeveloper(request.headers[DEVELOPER_KEY_HEADER]) }),
    logger,
    corsOrigins: config.corsOrigins,
    bodyLimit: config.bodyLimitBytes,
    maxBatchOperations: config.maxBatchOperations,
    readiness: async () => {
      if (!loaded) throw new Error('supergraph not loaded');
      if (manifest && !manifest.loaded()) throw new Error('persisted query manifest not loaded from Redis');
      await checkSubgraphsReady(routingUrls);
    },
  });
  return {
    ...server,
    async close() {
      await server.close();
      await pool.close();
      manifest?.close();
      await redis?.quit().catch(() => redis.disconnect());
    },
  };
}
