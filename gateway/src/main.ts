import { createLogger, onShutdownSignal, runMain } from '@tessera/service-kit';
import { createGatewayServer, loadConfig } from './index.js';

runMain(async () => {
  const config = loadConfig();
  const logger = createLogger({ service: 'gateway', level: config.logLevel, pretty: config.prettyLogs });
  const server = createGatewayServer(config, logger);
  const port = await server.listen(config.port, config.host);
  logger.info({ port, supergraph: config.supergraph.kind }, `gateway listening on http://localhost:${port}/graphql`);
  onShutdownSignal(logger, () => server.close());
});
