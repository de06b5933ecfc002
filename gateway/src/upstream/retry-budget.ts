/** Options of {@link createRetryBudget}. */
export interface RetryBudgetOptions {
  /** Retries allowed per first attempt, over the window (0.2: one retry per five requests). */
  ratio: number;
  /** Retries always allowed per second, so a quiet subgraph can still be retried. @default 5 */
  minPerSecond?: number;
  /** The window, in seconds. @default 10 */
  windowSeconds?: number;
}

/** Counts requests and retries over a sliding window of one-second buckets. */
export interface RetryBudget {
  recordRequest(): void;
  /** Takes one retry from the budget; false when the budget is spent (then do not retry). */
  tryRetry(): boolean;
}

/**
 * A retry budget as Envoy and Finagle have it: retries may add at most `ratio` of the traffic
 * (plus a small floor), so when a subgraph fails wholesale, retries stop instead of multiplying
 * its load by the attempt count.
 */
export function createRetryBudget(
  { ratio, minPerSecond = 5, windowSeconds = 10 }: RetryBudgetOptions,
  now: () => number = Date.now,
): RetryBudget {
  const requests = new Array<number>(windowSeconds).fill(0);
  const retries = new Array<number>(windowSeconds).fill(0);
  let current = Math.floor(now() / 1_000);
  const advance = () => {
    const second = Math.floor(now() / 1_000);
    for (let s = current + 1; s <= second && s - current <= windowSeconds; s++) {
      requests[s % windowSeconds] = 0;
      retries[s % windowSeconds] = 0;
    }
    if (second - current > windowSeconds) {
      requests.fill(0);
      retries.fill(0);
    }
    current = Math.max(current, second);
    return current % windowSeconds;
  };
  const sum = (counts: number[]) => counts.reduce((total, n) => total + n, 0);
  return {
    recordRequest() {
      requests[advance()]! += 1;
    },
    tryRetry() {
      const slot = advance();
      if (sum(retries) + 1 > minPerSecond * windowSeconds + ratio * sum(requests)) return false;
      retries[slot]! += 1;
      return true;
    },
  };
}
