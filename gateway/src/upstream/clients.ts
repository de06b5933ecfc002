import type { GatewayConfig as ApolloGatewayConfig } from '@apollo/gateway';
import type { Logger, SigningKey } from '@tessera/service-kit';
import type { Registry } from 'prom-client';
import { withDefaults } from '../options.js';
import type { GatewayContext, GatewayFeature, SubgraphSource } from '../pipeline/index.js';
import { SubgraphDataSource, type IdempotencyNote } from './data-source.js';
import { createUndiciFetcher } from './fetcher.js';
import { createSubgraphHealth } from './health.js';
import { createSubgraphMetrics } from './metrics.js';
import { createSubgraphPolicy, RESILIENCE_DEFAULTS, type ResilienceSettings, type SubgraphPolicy } from './resilience.js';
import { createSigningFetcher } from './signing.js';

/** How the gateway calls its subgraphs (`SUBGRAPH_*`). */
export interface SubgraphClientsSettings {
  /** Routing URLs that replace the supergraph's, by subgraph name (`SUBGRAPH_<NAME>_URL`). @default {} */
  urls: Readonly<Record<string, string>>;
  /** Keep-alive connections per subgraph origin. @default 128 */
  connections: number;
  /** Identical queries in flight at once share one fetch (see {@link SubgraphDataSource}). @default true */
  deduplicate: boolean;
  /** Deadlines, retries, circuit breakers and bulkheads of the calls. @default RESILIENCE_DEFAULTS */
  resilience: ResilienceSettings;
  /** How often each subgraph's `/ready` is asked, for metrics and the detailed health view. @default 5_000 */
  healthIntervalMs: number;
}

/** Every default of the subgraph calls, written once. */
export const SUBGRAPH_CLIENTS_DEFAULTS: SubgraphClientsSettings = {
  urls: {},
  connections: 128,
  deduplicate: true,
  resilience: RESILIENCE_DEFAULTS,
  healthIntervalMs: 5_000,
};

/** Options of {@link createSubgraphClients}: the settings (each defaulting as {@link SUBGRAPH_CLIENTS_DEFAULTS}) and what they work with. */
export interface SubgraphClientsOptions extends Partial<SubgraphClientsSettings> {
  /** Requests are signed with the first key; unsigned without keys (development only). */
  signingKeys?: readonly SigningKey[];
  /** The idempotency key a mutation's operation carries (its fetches send it on). */
  idempotencyOf?: (context: GatewayContext) => IdempotencyNote | undefined;
  registry?: Registry;
  logger: Logger;
}

/** How the gateway reaches its subgraphs. */
export interface SubgraphClients {
  /** Apollo Gateway's `buildService`: one data source per subgraph, all on one connection pool, behind `wrap`. */
  buildService(wrap: (subgraph: string, source: SubgraphSource) => SubgraphSource): NonNullable<ApolloGatewayConfig['buildService']>;
  /** Where a subgraph is called: its override, else the URL the supergraph gives. */
  routingUrl(name: string, supergraphUrl: string | undefined): string;
  /** The subgraphs' health, watched in the background: a feature told of each supergraph's subgraphs. */
  health: GatewayFeature;
  /** Closes the pooled connections. */
  close(): Promise<void>;
}

/** The subgraph side of the gateway: URL overrides, the pooled and signing fetcher, a policy and a data source per subgraph, health. */
export function createSubgraphClients({ signingKeys, idempotencyOf, registry, logger, ...given }: SubgraphClientsOptions): SubgraphClients {
  const { urls, connections, deduplicate, resilience, healthIntervalMs } = withDefaults(SUBGRAPH_CLIENTS_DEFAULTS, given);
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
  return {
    buildService:
      (wrap) =>
      ({ name, url }) =>
        wrap(
          name,
          new SubgraphDataSource({
            service: name,
            url: routingUrl(name, url),
            fetcher,
            policy: policyOf(name),
            metrics,
            logger,
            deduplicate,
            idempotencyOf,
          }),
        ),
    routingUrl,
    health: createSubgraphHealth({ routingUrl, intervalMs: healthIntervalMs, metrics, logger }),
    close: () => pool.close(),
  };
}
