import type { ResilienceSettings } from '../../src/subgraphs/index.js';

/** The gateway's default resilience settings (as `loadConfig` gives them), for tests that build the subgraph clients alone. */
export const RESILIENCE: ResilienceSettings = {
  timeoutMs: 5_000,
  timeouts: {},
  retries: 2,
  retryBudgetRatio: 0.2,
  breaker: { failureRatio: 0.5, windowMs: 10_000, minimumRps: 5, halfOpenAfterMs: 5_000 },
  maxInFlight: 512,
  maxQueued: 512,
};
