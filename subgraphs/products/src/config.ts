import { loadSubgraphConfig, type SubgraphConfig } from '@tessera/subgraph-kit';

/** The products subgraph's configuration, read from `PRODUCTS_*` and the shared variables once at start-up. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): SubgraphConfig {
  return loadSubgraphConfig({ name: 'products', defaultPort: 4002 }, env);
}
