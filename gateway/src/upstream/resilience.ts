import {
  BrokenCircuitError,
  bulkhead,
  BulkheadRejectedError,
  circuitBreaker,
  CircuitState,
  ExponentialBackoff,
  handleWhen,
  retry,
  SamplingBreaker,
  TaskCancelledError,
} from 'cockatiel';
import type { Logger } from '@tessera/service-kit';
import { createRetryBudget } from './retry-budget.js';
import type { SubgraphMetrics } from './metrics.js';

/** How calls to every subgraph are bounded and retried (one set of settings, a policy per subgraph). */
export interface ResilienceSettings {
  /** Longest one attempt may take, unless the subgraph has its own (`SUBGRAPH_<NAME>_TIMEOUT_MS`). */
  timeoutMs: number;
  /** Per-subgraph attempt timeouts, by name. */
  timeouts: Record<string, number>;
  /** Attempts after the first, for queries failing on the connection or with 502/503/504. */
  retries: number;
  /** Retries allowed as a share of first attempts (over 10 s), so retries cannot multiply an outage's load. */
  retryBudgetRatio: number;
  breaker: {
    /** Share of failed calls (over `windowMs`) that opens the circuit. */
    failureRatio: number;
    windowMs: number;
    /** Calls per second below which the circuit never opens (a few failures at low traffic are no pattern). */
    minimumRps: number;
    /** How long the circuit stays open before one probe call is let through. */
    halfOpenAfterMs: number;
  };
  /** Calls in flight to one subgraph, and waiting; beyond both, `SUBREQUEST_OVERLOADED` at once. */
  maxInFlight: number;
  maxQueued: number;
}

/** Every default of the subgraph calls' resilience, written once (`SUBGRAPH_TIMEOUT_MS`, `SUBGRAPH_RETRIES`, `BREAKER_*`, …). */
export const RESILIENCE_DEFAULTS: ResilienceSettings = {
  timeoutMs: 5_000,
  timeouts: {},
  retries: 2,
  retryBudgetRatio: 0.2,
  breaker: { failureRatio: 0.5, windowMs: 10_000, minimumRps: 5, halfOpenAfterMs: 5_000 },
  maxInFlight: 512,
  maxQueued: 512,
};

/** Why an attempt failed, as the policy sees it. */
export class AttemptFailure extends Error {
  override name = 'AttemptFailure';
  constructor(
    /** `connection` (never answered), `timeout`, or `status` (an HTTP error status). */
    readonly kind: 'connection' | 'timeout' | 'status',
    readonly reason: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(reason, options);
  }
}

/** What stopped a call for good: the last attempt's failure, or the policy refusing to call at all. */
export type CallFailure =
  { kind: 'failed'; failure: AttemptFailure } | { kind: 'circuit-open' } | { kind: 'overloaded' } | { kind: 'deadline' };

/** One subgraph's policy. */
export interface SubgraphPolicy {
  /** The attempt timeout for this subgraph. */
  timeoutMs: number;
  /**
   * Runs `attempt` (given a signal that fires at the attempt's timeout or the request's
   * deadline, whichever is first) behind the circuit breaker and the bulkhead, retrying a
   * retryable failure of an idempotent call while budget and deadline allow.
   */
  call<T>(attempt: (signal: AbortSignal) => Promise<T>, options: { idempotent: boolean; deadline: number }): Promise<T>;
  /** 0 closed, 1 half-open, 2 open. */
  state(): number;
}

const RETRYABLE_STATUSES = new Set([502, 503, 504]);

/** Whether a failed attempt may be tried again: it never reached the subgraph's logic, or a proxy said so. */
function isRetryable(error: unknown): boolean {
  return (
    error instanceof AttemptFailure &&
    (error.kind === 'connection' || (error.kind === 'status' && RETRYABLE_STATUSES.has(error.status ?? 0)))
  );
}

/** What counts against the breaker: the subgraph failing to answer, not its GraphQL errors. */
function isBreakerFailure(error: unknown): boolean {
  return error instanceof AttemptFailure && (error.kind !== 'status' || (error.status ?? 0) >= 500);
}

/** A policy per subgraph, with its circuit state in the metrics and the log. */
export function createSubgraphPolicy(name: string, settings: ResilienceSettings, metrics: SubgraphMetrics, logger: Logger): SubgraphPolicy {
  const timeoutMs = settings.timeouts[name] ?? settings.timeoutMs;
  const breaker = circuitBreaker(handleWhen(isBreakerFailure), {
    halfOpenAfter: settings.breaker.halfOpenAfterMs,
    breaker: new SamplingBreaker({
      threshold: settings.breaker.failureRatio,
      duration: settings.breaker.windowMs,
      minimumRps: settings.breaker.minimumRps,
    }),
  });
  const stateOf = () =>
    ({ [CircuitState.Closed]: 0, [CircuitState.HalfOpen]: 1, [CircuitState.Open]: 2, [CircuitState.Isolated]: 2 })[breaker.state];
  breaker.onStateChange((state) => {
    metrics.circuitState.set({ subgraph: name }, stateOf());
    const label = CircuitState[state];
    if (state === CircuitState.Open) logger.warn({ subgraph: name, circuit: label }, 'circuit opened: calls to this subgraph fail fast');
    else
      logger.info(
        { subgraph: name, circuit: label },
        state === CircuitState.Closed ? 'circuit closed: subgraph recovered' : 'circuit half-open: probing',
      );
  });
  metrics.circuitState.set({ subgraph: name }, 0);
  const limit = bulkhead(settings.maxInFlight, settings.maxQueued);
  const budget = createRetryBudget({ ratio: settings.retryBudgetRatio });
  // Exponential backoff with decorrelated jitter (cockatiel's default generator), 25 ms to 250 ms.
  const retries = retry(
    handleWhen((error) => isRetryable(error) && budget.tryRetry()),
    { maxAttempts: settings.retries, backoff: new ExponentialBackoff({ initialDelay: 25, maxDelay: 250 }) },
  );
  retries.onRetry(() => metrics.retries.inc({ subgraph: name }));

  return {
    timeoutMs,
    state: stateOf,
    async call(attempt, { idempotent, deadline }) {
      budget.recordRequest();
      const whole = new AbortController();
      const timer = setTimeout(() => whole.abort(), Math.max(0, deadline - Date.now()));
      const once = () =>
        breaker.execute(() =>
          limit.execute(() => {
            const remaining = deadline - Date.now();
            if (remaining <= 0) throw new AttemptFailure('timeout', 'deadline reached before the call');
            return withTimeout(whole.signal, Math.min(timeoutMs, remaining), attempt);
          }),
        );
      try {
        // Backoff waits end with the deadline (cancelled: DEADLINE), so no retry outlives the request.
        return await (idempotent ? retries.execute(once, whole.signal) : once());
      } catch (error) {
        throw new CallError(classify(error));
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * Runs `attempt` with a signal that fires after `ms` or when `parent` does. One controller and
 * one timer, both released when the attempt ends: `AbortSignal.any` and `AbortSignal.timeout`
 * per call cost the gateway a few per cent of its CPU (profiled) and leave weak references
 * and timers for the collector.
 */
async function withTimeout<T>(parent: AbortSignal, ms: number, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  const timer = setTimeout(abort, ms);
  if (parent.aborted) abort();
  parent.addEventListener('abort', abort, { once: true });
  try {
    return await attempt(controller.signal);
  } finally {
    clearTimeout(timer);
    parent.removeEventListener('abort', abort);
  }
}

/** The error a policy's call rejects with. */
export class CallError extends Error {
  override name = 'CallError';
  constructor(readonly failure: CallFailure) {
    super(failure.kind);
  }
}

function classify(error: unknown): CallFailure {
  if (error instanceof BrokenCircuitError) return { kind: 'circuit-open' };
  if (error instanceof BulkheadRejectedError) return { kind: 'overloaded' };
  if (error instanceof TaskCancelledError) return { kind: 'deadline' };
  if (error instanceof AttemptFailure) return { kind: 'failed', failure: error };
  return { kind: 'failed', failure: new AttemptFailure('connection', 'request failed', undefined, { cause: error }) };
}
