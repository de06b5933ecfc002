import { loadSubgraphConfig, type SubgraphConfig } from '@tessera/subgraph-kit';

/** The users subgraph's configuration, read from `USERS_*` and the shared variables once at start-up. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): SubgraphConfig {
  return loadSubgraphConfig({ name: 'users', defaultPort: 4001 }, env);
}
