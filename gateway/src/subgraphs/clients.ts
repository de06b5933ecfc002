import type { GatewayConfig as ApolloGatewayConfig, GraphQLDataSource } from '@apollo/gateway';
import type { Logger, SigningKey } from '@tessera/service-kit';
import type { Registry } from 'prom-client';
import { SubgraphDataSource, type SubgraphCallContext } from './data-source.js';
import { createUndiciFetcher } from './fetcher.js';
import { createSubgraphHealthMonitor, type SubgraphHealthMonitor } from './health.js';
import { createSubgraphMetrics } from './metrics.js';
import { createSubgraphPolicy, type ResilienceSettings, type SubgraphPolicy } from './resilience.js';
import { createSigningFetcher } from './signing.js';

/** Options of {@link createSubgraphClients}. */
export interface SubgraphClientsOptions {
  /** Routing URLs that replace the supergraph's, by subgraph name (`SUBGRAPH_<NAME>_URL`). @default {} */
  urls?: Record<string, string>;
  /** Keep-alive connections per subgraph origin. @default 128 */
  connections?: number;
  /** Identical queries in flight at once share one fetch (see {@link SubgraphDataSource}). @default true */
  deduplicate?: boolean;
  /** Deadlines, retries, circuit breakers and bulkheads of the calls. */
  resilience: ResilienceSettings;
  /** Requests are signed with the first key; unsigned without keys (development only). */
  signingKeys?: SigningKey[];
  /** How often each subgraph's `/ready` is asked, for metrics and the detailed health view. @default 5_000 */
  healthIntervalMs?: number;
  /** Puts each subgraph's data source behind what calls go through first (the caches). @default as it is */
  wrap?: (service: string, source: GraphQLDataSource<SubgraphCallContext>) => GraphQLDataSource<SubgraphCallContext>;
  registry?: Registry;
  logger: Logger;
}

/** How the gateway reaches its subgraphs. */
export interface SubgraphClients {
  /** Apollo Gateway's `buildService`: one data source per subgraph, all on one connection pool. */
  buildService: NonNullable<ApolloGatewayConfig['buildService']>;
  /** Where a subgraph is called: its override, else the URL the supergraph gives. */
  routingUrl(name: string, supergraphUrl: string | undefined): string;
  /** Starts watching the subgraphs of the supergraph (name → supergraph URL, read at each check). */
  watch(subgraphs: () => ReadonlyMap<string, string> | undefined): SubgraphHealthMonitor;
  /** Stops watching and closes the pooled connections. */
  close(): Promise<void>;
}

/** The subgraph side of the gateway: URL overrides, the pooled and signing fetcher, a policy and a data source per subgraph, health. */
export function createSubgraphClients({
  urls = {},
  connections,
  deduplicate = true,
  resilience,
  signingKeys,
  healthIntervalMs = 5_000,
  wrap = (_service, source) => source,
  registry,
  logger,
}: SubgraphClientsOptions): SubgraphClients {
  const pool = createUndiciFetcher({ connections, timeoutMs: resilience.timeoutMs });
  const fetcher = signingKeys?.[0] ? createSigningFetcher(pool.fetcher, signingKeys[0]) : pool.fetcher;
  const metrics = createSubgraphMetrics(registry);
  // One policy per subgraph for the process's life: a new supergraph keeps each circuit's state.
  const policies = new Map<string, SubgraphPolicy>();
  const policyOf = (name: string) =>
    policies.get(name) ?? policies.set(name, createSubgraphPolicy(name, resilience, metrics, logger)).get(name)!;
  const routingUrl = (name: string, supergraphUrl: string | undefined) => {
    const url = urls[name] ?? supergraphUrl;
    if (!url) throw new Error(`subgraph "${name}" has no routing URL`);
    return url;
  };
  let monitor: SubgraphHealthMonitor | undefined;
  return {
    buildService: ({ name, url }) =>
      wrap(name, new SubgraphDataSource(name, routingUrl(name, url), fetcher, policyOf(name), metrics, logger, deduplicate)),
    routingUrl,
    watch(subgraphs) {
      monitor?.stop();
      const targets = () => new Map([...(subgraphs() ?? new Map<string, string>())].map(([name, url]) => [name, routingUrl(name, url)]));
      monitor = createSubgraphHealthMonitor({ targets, intervalMs: healthIntervalMs, metrics, logger });
      return monitor;
    },
    async close() {
      monitor?.stop();
      await pool.close();
    },
  };
}
