import { connectRedis, createLogger, onShutdownSignal, runMain, startTracing } from '@tessera/service-kit';
import { createGatewayServer, loadConfig } from './index.js';

runMain(async () => {
  const config = loadConfig();
  const logger = createLogger({ service: 'gateway', level: config.logLevel, pretty: config.prettyLogs });
  // The infrastructure the gateway runs on, made here once and closed here after the server.
  const tracing = startTracing({ service: 'gateway', endpoint: config.otlpEndpoint });
  const redis = config.redis && connectRedis({ ...config.redis, logger });
  const server = createGatewayServer(config, { logger, redis });
  const port = await server.listen(config.port, config.host);
  logger.info({ port, supergraph: config.supergraph.kind }, `gateway listening on http://localhost:${port}/graphql`);
  onShutdownSignal(logger, async () => {
    await server.close();
    await redis?.quit().catch(() => redis.disconnect());
    await tracing.shutdown();
  });
});
