/**
 * @tessera/subgraph-kit: what the subgraphs share — the runtime that starts one (database,
 * migrations, seed, Apollo Server, HTTP, subscriptions as event streams), per-request batch
 * loaders, cursor pagination, UUID keys, the mapping of Prisma's errors, and events recorded in a
 * write's transaction and delivered to subscriptions (`events/`).
 */
export { loadSubgraphConfig, subgraphVariableDefaults, SUBGRAPH_VARIABLES, type SubgraphConfig } from './config.js';
export { readTypeDefs, type SubgraphDefinition, type SubgraphResolvers, type ClosableClient } from './definition.js';
export { createSubgraphApollo, subgraphFormatError, subgraphSchema, type SubgraphApolloOptions } from './apollo.js';
export {
  createOperationGuard,
  createRequestGuardsPlugin,
  type GuardedOperation,
  type OperationGuard,
  type RequestLimits,
} from './request-guards.js';
export { createSubgraphServer, type SubgraphServerOptions } from './subgraph-server.js';
export { createSubscriptionStreams, type SubscriptionStreams, type SubscriptionStreamsOptions } from './subscriptions/stream-handler.js';
export { readStreamOperation, type StreamOperation, type StreamRules } from './subscriptions/stream-request.js';
export * from './events/index.js';
export { openSubgraphDatabase, startSubgraph, runSubgraph, type RunningSubgraph } from './start.js';
export { createGatewayGuard, identityOf } from './gateway-signature.js';
export { createEntityLookup, type EntityLookup, type EntityLookupOptions } from './entity-lookup.js';
export {
  createBatchLoader,
  createRowLoader,
  DEFAULT_MAX_BATCH_SIZE,
  loadReference,
  type BatchOptions,
  type BatchLoader,
  type BatchLoaderOptions,
  type RowLoaderOptions,
} from './batch-loader.js';
export {
  encodeCursor,
  decodeCursor,
  parsePageArgs,
  parseFirst,
  pageQuery,
  toConnection,
  findPage,
  DEFAULT_PAGE_SIZE,
  type Connection,
  type PageArgs,
  type PageQuery,
  type PageRequest,
  type PageSizeLimits,
} from './pagination.js';
export { isUuid, canonicalId, idReference, UUID_KEYS } from './ids.js';
export { characters } from './text.js';
export { uniqueViolationFields, violates, isRecordNotFound } from './prisma-errors.js';
export {
  createIdempotentWrites,
  idempotencyOf,
  sweepIdempotencyKeys,
  IDEMPOTENCY_TTL_HOURS,
  type CommitObserver,
  type IdempotencyRequest,
  type IdempotentWrites,
  type WriteRequest,
  type RawSql,
  type TransactionalClient,
} from './idempotency.js';
export { createRequestScopes, type RequestInput, type RequestScopes, type SubgraphRequest } from './request-scope.js';
export {
  createInvalidator,
  createInvalidationReportPlugin,
  type CacheInvalidations,
  type InvalidationsContext,
  type InvalidatorOptions,
} from './cache-invalidation.js';
