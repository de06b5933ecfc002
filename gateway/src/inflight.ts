/**
 * Shares one in-flight operation among identical callers: while the first caller's `run()`
 * is pending, a caller with the same key gets the same promise instead of starting another.
 * The entry is gone once that promise settles, so nothing is ever served from memory after
 * the fact — this collapses concurrent work, it is not a cache.
 */
export interface InflightShare<T> {
  /** `run()`'s promise, or the pending one of an identical earlier call (`shared` says which). */
  get(key: string, run: () => Promise<T>): { promise: Promise<T>; shared: boolean };
  /** Keys in flight now. */
  readonly size: number;
}

export function createInflightShare<T>(): InflightShare<T> {
  const pending = new Map<string, Promise<T>>();
  return {
    get(key, run) {
      const existing = pending.get(key);
      if (existing) return { promise: existing, shared: true };
      const promise = run();
      pending.set(key, promise);
      const forget = () => {
        if (pending.get(key) === promise) pending.delete(key);
      };
      promise.then(forget, forget);
      return { promise, shared: false };
    },
    get size() {
      return pending.size;
    },
  };
}
