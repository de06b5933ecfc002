export { createSubgraphClients, type SubgraphClients, type SubgraphClientsOptions } from './clients.js';
export { SubgraphDataSource } from './data-source.js';
export { createUndiciFetcher, type PooledFetcher, type UndiciFetcherOptions } from './fetcher.js';
export { checkSubgraphsReady } from './readiness.js';
export { createSigningFetcher } from './signing.js';
