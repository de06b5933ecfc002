import autocannon from 'autocannon';

/** Latency and throughput of one GraphQL operation under steady load. */
export interface LoadResult {
  p50Ms: number;
  p99Ms: number;
  requestsPerSecond: number;
  requests: number;
}

/** Options of {@link runLoad}. */
export interface LoadOptions {
  url: string;
  /** The request body, or a function giving a fresh one per request (e.g. new variables). */
  body: string | (() => string);
  /** Concurrent connections. @default 8 */
  connections?: number;
  /** Seconds measured, after `warmupSeconds` that are not. @default 5 */
  seconds?: number;
  /** @default 1 */
  warmupSeconds?: number;
}

/**
 * Drives `url` with autocannon for a fixed time (bounded and loopback-only) and reports
 * its percentiles. Any non-2xx answer or socket error fails the run rather than skewing it.
 */
export async function runLoad({ url, body, connections = 8, seconds = 5, warmupSeconds = 1 }: LoadOptions): Promise<LoadResult> {
  const request = {
    url,
    method: 'POST' as const,
    headers: { 'content-type': 'application/json' },
    ...(typeof body === 'string' ? { body } : { requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, body: body() }) }] }),
  };
  if (warmupSeconds > 0) await autocannon({ ...request, connections, duration: warmupSeconds });
  const result = await autocannon({ ...request, connections, duration: seconds });
  if (result.errors || result.non2xx || result.timeouts) {
    throw new Error(`load run had ${result.errors} errors, ${result.non2xx} non-2xx answers, ${result.timeouts} timeouts`);
  }
  return {
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requestsPerSecond: result.requests.average,
    requests: result.requests.total,
  };
}
