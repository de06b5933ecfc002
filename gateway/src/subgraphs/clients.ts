import type { GatewayConfig as ApolloGatewayConfig } from '@apollo/gateway';
import type { Logger, ReadinessCheck, SigningKey } from '@tessera/service-kit';
import { SubgraphDataSource } from './data-source.js';
import { createUndiciFetcher } from './fetcher.js';
import { checkSubgraphsReady } from './readiness.js';
import { createSigningFetcher } from './signing.js';

/** Options of {@link createSubgraphClients}. */
export interface SubgraphClientsOptions {
  /** Routing URLs that replace the supergraph's, by subgraph name (`SUBGRAPH_<NAME>_URL`). @default {} */
  urls?: Record<string, string>;
  /** Keep-alive connections per subgraph origin. @default 128 */
  connections?: number;
  /** Time allowed for a subgraph's response headers and body, in ms. @default 30_000 */
  timeoutMs?: number;
  /** Requests are signed with the first key; unsigned without keys (development only). */
  signingKeys?: SigningKey[];
  logger: Logger;
}

/** How the gateway reaches its subgraphs. */
export interface SubgraphClients {
  /** Apollo Gateway's `buildService`: one data source per subgraph, all on one connection pool. */
  buildService: NonNullable<ApolloGatewayConfig['buildService']>;
  /** Where a subgraph is called: its override, else the URL the supergraph gives. */
  routingUrl(name: string, supergraphUrl: string | undefined): string;
  /** Readiness of these subgraphs (name → supergraph URL): each one's `GET /ready` answers. */
  ready(subgraphs: ReadonlyMap<string, string> | undefined): ReturnType<ReadinessCheck>;
  /** Closes the pooled connections. */
  close(): Promise<void>;
}

/** The subgraph side of the gateway: URL overrides, the pooled and signing fetcher, data sources, readiness. */
export function createSubgraphClients({ urls = {}, connections, timeoutMs, signingKeys, logger }: SubgraphClientsOptions): SubgraphClients {
  const pool = createUndiciFetcher({ connections, timeoutMs });
  const fetcher = signingKeys?.[0] ? createSigningFetcher(pool.fetcher, signingKeys[0]) : pool.fetcher;
  const routingUrl = (name: string, supergraphUrl: string | undefined) => {
    const url = urls[name] ?? supergraphUrl;
    if (!url) throw new Error(`subgraph "${name}" has no routing URL`);
    return url;
  };
  return {
    buildService: ({ name, url }) => new SubgraphDataSource(name, routingUrl(name, url), fetcher, logger),
    routingUrl,
    ready: (subgraphs = new Map()) =>
      checkSubgraphsReady(new Map([...subgraphs].map(([name, url]) => [name, routingUrl(name, url)]))),
    close: () => pool.close(),
  };
}
