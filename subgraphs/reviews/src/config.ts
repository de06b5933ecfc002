import { loadSubgraphConfig, type SubgraphConfig } from '@tessera/subgraph-kit';

/** The reviews subgraph's configuration, read from `REVIEWS_*` and the shared variables once at start-up. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): SubgraphConfig {
  return loadSubgraphConfig({ name: 'reviews', defaultPort: 4003 }, env);
}
