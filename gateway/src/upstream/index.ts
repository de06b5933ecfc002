/**
 * Calling the subgraphs: the pooled undici fetcher, request signing, the data source (deadline,
 * request id, trace, idempotency key), the per-subgraph policy (retries and their budget, circuit
 * breaker, bulkhead), their metrics, and the background health of each subgraph.
 */
export {
  createSubgraphClients,
  SUBGRAPH_CLIENTS_DEFAULTS,
  type SubgraphClients,
  type SubgraphClientsOptions,
  type SubgraphClientsSettings,
} from './clients.js';
export { SubgraphDataSource, type IdempotencyNote, type SubgraphDataSourceOptions } from './data-source.js';
export { createUndiciFetcher, type PooledFetcher, type UndiciFetcherOptions } from './fetcher.js';
export {
  createSubgraphHealth,
  createSubgraphHealthMonitor,
  probeSubgraphs,
  type SubgraphHealthMonitor,
  type SubgraphState,
} from './health.js';
export { createSubgraphMetrics, type SubgraphMetrics } from './metrics.js';
export { createRetryBudget, type RetryBudget } from './retry-budget.js';
export { createSubgraphPolicy, RESILIENCE_DEFAULTS, type ResilienceSettings, type SubgraphPolicy } from './resilience.js';
export { createSigningFetcher } from './signing.js';
export {
  createEventStreamClient,
  UpstreamDropped,
  type EventStreamClient,
  type EventStreamClientOptions,
  type UpstreamEvent,
} from './event-stream-client.js';
