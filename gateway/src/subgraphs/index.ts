export { createSubgraphClients, type SubgraphClients, type SubgraphClientsOptions } from './clients.js';
export { SubgraphDataSource, type SubgraphCallContext } from './data-source.js';
export { createUndiciFetcher, type PooledFetcher, type UndiciFetcherOptions } from './fetcher.js';
export { createSubgraphHealthMonitor, probeSubgraphs, type SubgraphHealthMonitor, type SubgraphState } from './health.js';
export { createSubgraphMetrics, type SubgraphMetrics } from './metrics.js';
export { createRetryBudget, type RetryBudget } from './retry-budget.js';
export { createSubgraphPolicy, type ResilienceSettings, type SubgraphPolicy } from './resilience.js';
export { createSigningFetcher } from './signing.js';
