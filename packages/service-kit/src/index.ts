/**
 * @tessera/service-kit: what every Tessera service (gateway and subgraphs) shares — the HTTP
 * server with health routes, configuration parsing, error codes and masking, logging, the
 * request log, metrics, tracing, graceful shutdown, and the shape of an operation (both gateway and subgraphs
 * limit its depth).
 */
export {
  parseConfig,
  parseAll,
  ConfigError,
  CHECK_ALWAYS,
  env,
  redisEnv,
  variableDefaults,
  requiredOutsideDevelopment,
  serviceEnv,
  serviceSettings,
  subgraphTimeouts,
  subgraphUrls,
  type RuntimeSettings,
  type ServiceSettings,
} from './config.js';
export {
  ErrorCode,
  badUserInput,
  deadlineExceeded,
  notFound,
  forbidden,
  unauthenticated,
  errorBody,
  createFormatError,
  withoutSuggestions,
  type FormatErrorOptions,
  type InfrastructureCode,
} from './errors.js';
export { BUDGET_HEADER, parseBudget } from './deadline.js';
export { createGraphQLOverHttpPlugin, operationTexts, replyWithGraphQLError, responseMediaType } from './graphql-over-http.js';
export { allReady, NotReadyError, type ReadinessCheck } from './health.js';
export {
  acceptsEventStream,
  EVENT_STREAM_DEFAULTS,
  openEventStream,
  type EventStream,
  type EventStreamEnd,
  type EventStreamOptions,
  type StreamEvent,
} from './event-stream.js';
export {
  ActionUnavailableError,
  boundedLabel,
  createMetricsRegistry,
  startMetricsServer,
  type MetricsServer,
  type MetricsServerOptions,
} from './metrics.js';
export { currentRequestId, REQUEST_ID_HEADER, requestIdFrom } from './request-context.js';
export {
  createHttpServer,
  HTTP_SERVER_DEFAULTS,
  type Guard,
  type HttpServer,
  type HttpServerOptions,
  type RawBodyRequest,
  type HttpReply,
} from './http-server.js';
export type { ExecuteAround } from './apollo-handler.js';
export { canonicalId, isUuid } from './ids.js';
export {
  bumpGenerations,
  generationKey,
  readGeneration,
  INVALIDATIONS_EXTENSION,
  isCacheTag,
  writeTags,
  GENERATION_TTL_SECONDS,
  MAX_ENTRY_TTL_SECONDS,
  type CacheTag,
} from './cache-tags.js';
export {
  callerWritesKey,
  decodePosition,
  encodePosition,
  latestWriteKey,
  ON_PRIMARY,
  raisePosition,
  READ_POSITION_HEADER,
  WRITE_POSITION_EXTENSION,
} from './write-positions.js';
export { callerPart, composeKey, visibilityPart } from './keys.js';
export { ANONYMOUS, decodeIdentity, DEVELOPMENT_TOKENS, encodeIdentity, IDENTITY_HEADER, requireScope, type Identity } from './identity.js';
export { createLogger, type Logger, type LoggerOptions } from './logger.js';
export { approximateSize, createMemoryKeyValueCache, type MemoryKeyValueCache, type MemoryKeyValueCacheOptions } from './memory-cache.js';
export { runMain } from './main.js';
export {
  createMemoryNonceStore,
  createSignatureVerifier,
  parseSigningKeys,
  signRequest,
  SIGNATURE_HEADER,
  SIGNATURE_MAX_AGE_MS,
  SIGNED_HEADERS,
  type NonceStore,
  type SignatureProblem,
  type SignatureVerifierOptions,
  type SignedHeader,
  type SignedRequest,
  type SigningKey,
} from './request-signing.js';
export { createRedisNonceStore, type RedisNonceStoreOptions } from './nonce-store.js';
export { connectRedis, REDIS_DEFAULTS, type RedisClient, type RedisConnectionOptions } from './redis.js';
export { countOverlappingFieldPairs, createShapeMemo, measureOperation, type OperationShape } from './operation-shape.js';
export { fragmentsOf, operationOf } from './document-parts.js';
export {
  createRequestLog,
  createRequestLogPlugin,
  type RequestLine,
  type RequestLog,
  type RequestLogOptions,
} from './request-log-plugin.js';
export { onShutdownSignal } from './shutdown.js';
export {
  inIncomingTrace,
  nameActiveSpan,
  nameOperationSpan,
  propagateTrace,
  startTracing,
  tracingEnabled,
  TRACEPARENT_HEADER,
  withSpan,
  type Tracing,
} from './tracing.js';
