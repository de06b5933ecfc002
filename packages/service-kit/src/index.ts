/**
 * @tessera/service-kit: what every Tessera service (gateway and subgraphs) shares — the HTTP
 * server with health routes, configuration parsing, error codes and masking, logging, the
 * request log, graceful shutdown, and the shape of an operation (both gateway and subgraphs
 * limit its depth).
 */
export { parseConfig, ConfigError, env, serviceEnv, serviceSettings } from './config.js';
export { ErrorCode, badUserInput, notFound, errorBody, createFormatError } from './errors.js';
export { createGraphQLOverHttpPlugin, responseMediaType } from './graphql-over-http.js';
export { allReady, type ReadinessCheck } from './health.js';
export { createHttpServer, type HttpServer, type HttpServerOptions } from './http-server.js';
export { createLogger, type Logger, type LoggerOptions } from './logger.js';
export { runMain } from './main.js';
export { measureOperation, type OperationShape } from './operation-shape.js';
export { createRequestLogPlugin } from './request-log-plugin.js';
export { onShutdownSignal } from './shutdown.js';
