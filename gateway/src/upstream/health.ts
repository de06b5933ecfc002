import type { Logger } from '@tessera/service-kit';
import { request } from 'undici';
import type { GatewayFeature } from '../pipeline/index.js';
import type { SubgraphMetrics } from './metrics.js';

/** One subgraph's state at the last check. */
export interface SubgraphState {
  up: boolean;
  /** Why not (for operators: the internal view and the log; never a public answer). */
  reason?: string;
  checkedAt: string;
}

/** Asks each subgraph's `GET /ready` (beside its GraphQL path) whether it is ready, within `timeoutMs`. */
export async function probeSubgraphs(urls: ReadonlyMap<string, string>, timeoutMs = 2_000): Promise<Record<string, SubgraphState>> {
  const results = await Promise.all(
    [...urls].map(async ([name, url]): Promise<[string, SubgraphState]> => {
      const checkedAt = new Date().toISOString();
      try {
        const response = await request(new URL('/ready', url), { signal: AbortSignal.timeout(timeoutMs) });
        await response.body.dump();
        return [
          name,
          response.statusCode < 300 ? { up: true, checkedAt } : { up: false, reason: `HTTP ${response.statusCode}`, checkedAt },
        ];
      } catch {
        return [name, { up: false, reason: 'unreachable', checkedAt }];
      }
    }),
  );
  return Object.fromEntries(results);
}

/** Options of {@link createSubgraphHealthMonitor}. */
export interface SubgraphHealthOptions {
  /** The subgraphs to watch, by name, with the URLs they are called at (read at every check). */
  targets: () => ReadonlyMap<string, string>;
  intervalMs: number;
  metrics: SubgraphMetrics;
  logger: Logger;
}

/** The subgraphs' states, kept up to date in the background. */
export interface SubgraphHealthMonitor {
  /** The last check's states, by subgraph (the internal `/health/details` view). */
  details(): Record<string, SubgraphState>;
  /** Checks now. */
  check(): Promise<void>;
  stop(): void;
}

/**
 * Watches the subgraphs without making the gateway's readiness depend on them: a subgraph
 * that is down costs its fields (partial data), not every gateway replica's place behind the
 * load balancer. Their state goes to `subgraph_up`, the internal detailed view, and the log
 * on each change.
 */
export function createSubgraphHealthMonitor({ targets, intervalMs, metrics, logger }: SubgraphHealthOptions): SubgraphHealthMonitor {
  let states: Record<string, SubgraphState> = {};
  const check = async () => {
    const next = await probeSubgraphs(targets());
    for (const [name, state] of Object.entries(next)) {
      metrics.up.set({ subgraph: name }, state.up ? 1 : 0);
      const before = states[name];
      if (before?.up === state.up) continue;
      if (state.up) logger.info({ subgraph: name }, 'subgraph ready');
      // Not up yet at the first look is how every start goes (the subgraphs boot beside the gateway); going down is news.
      else if (before === undefined) logger.info({ subgraph: name, reason: state.reason }, 'subgraph not ready yet');
      else logger.warn({ subgraph: name, reason: state.reason }, 'subgraph not ready');
    }
    states = next;
  };
  const timer = setInterval(() => void check(), intervalMs);
  timer.unref();
  return { details: () => states, check, stop: () => clearInterval(timer) };
}

/** Options of {@link createSubgraphHealth}. */
export interface SubgraphHealthFeatureOptions extends Omit<SubgraphHealthOptions, 'targets'> {
  /** Where a subgraph is called, from the URL the supergraph gives it (`SUBGRAPH_<NAME>_URL` overrides). */
  routingUrl: (name: string, supergraphUrl: string) => string;
}

/**
 * The subgraphs' health as a gateway feature: told of each supergraph, it watches the subgraphs
 * that one routes to (checked at once, then every `intervalMs`), shows their states at
 * `/health/details`, and stops when the gateway closes.
 */
export function createSubgraphHealth({ routingUrl, ...options }: SubgraphHealthFeatureOptions): GatewayFeature {
  let targets: ReadonlyMap<string, string> = new Map();
  const monitor = createSubgraphHealthMonitor({ ...options, targets: () => targets });
  return {
    name: 'subgraph health',
    onSupergraph({ subgraphs }) {
      targets = new Map([...subgraphs].map(([name, url]) => [name, routingUrl(name, url)]));
      void monitor.check();
    },
    views: { '/health/details': () => ({ subgraphs: monitor.details() }) },
    close: () => monitor.stop(),
  };
}
