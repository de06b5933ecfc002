import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The series of the gateway's subgraph calls. */
export type SubgraphMetrics = ReturnType<typeof createSubgraphMetrics>;

/** Subgraph fetches: latency and outcome per subgraph, retries, circuit state and reachability. */
export function createSubgraphMetrics(registry?: Registry) {
  const registers = registry ? [registry] : [];
  return {
    duration: new Histogram({
      name: 'subgraph_request_duration_seconds',
      help: 'Subgraph fetches from the gateway, retries included, by subgraph and outcome (ok, error, timeout, circuit_open, overloaded).',
      labelNames: ['subgraph', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    deduplicated: new Counter({
      name: 'subgraph_fetches_deduplicated_total',
      help: 'Subgraph queries not sent because an identical one (document, variables, identity) was in flight; they shared its answer.',
      labelNames: ['subgraph'],
      registers,
    }),
    retries: new Counter({
      name: 'subgraph_retries_total',
      help: 'Subgraph fetch attempts that were retries.',
      labelNames: ['subgraph'],
      registers,
    }),
    circuitState: new Gauge({
      name: 'subgraph_circuit_state',
      help: 'Circuit breaker per subgraph: 0 closed, 1 half-open, 2 open.',
      labelNames: ['subgraph'],
      registers,
    }),
    up: new Gauge({
      name: 'subgraph_up',
      help: "Whether the subgraph's /ready answered 2xx at the last health check.",
      labelNames: ['subgraph'],
      registers,
    }),
  };
}
