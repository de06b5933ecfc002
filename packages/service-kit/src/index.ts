export { createLogger, type Logger, type LoggerOptions } from './logger.js';
export { parseConfig, ConfigError, env, serviceEnv, serviceSettings } from './config.js';
export { ErrorCode, badUserInput, notFound, createFormatError } from './errors.js';
export {
  encodeCursor,
  decodeCursor,
  parsePageArgs,
  parseFirst,
  pageQuery,
  toConnection,
  type Connection,
  type PageRequest,
  type PageSizeLimits,
} from './pagination.js';
export { createRequestLogPlugin } from './request-log-plugin.js';
export { createHttpServer, type HttpServer, type HttpServerOptions } from './http-server.js';
export { onShutdownSignal } from './shutdown.js';
export { runMain } from './main.js';
export { loadSubgraphConfig, type SubgraphConfig } from './subgraph-config.js';
export { createRowLoader, type BatchOptions, type RowLoaderOptions } from './loaders.js';
export { isUuid } from './ids.js';
export type { SubgraphDefinition, ClosableClient } from './subgraph/definition.js';
export { createSubgraphApollo } from './subgraph/apollo.js';
export { startSubgraph } from './subgraph/start.js';
export { uniqueViolationFields, violates, isRecordNotFound } from './prisma-errors.js';
