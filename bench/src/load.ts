/**
 * The load generator of every benchmark: autocannon driving one URL with GraphQL POSTs, every
 * failure counted (and a run with any failing, unless asked to count them), latencies taken
 * from each answer.
 */
import autocannon from 'autocannon';

/** One request of a workload: its body, and (after {@link captureAnswers}) the answer it must get. */
export interface WorkloadRequest {
  body: string;
  /** Headers of this request besides the run's (a writer's token, say). */
  headers?: Record<string, string>;
}

/** What one load run measured. */
export interface LoadFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  requests: number;
  /** Socket errors, timeouts, non-2xx and wrong answers: always 0 unless `countFailures` (any fails the run). */
  failures: number;
}

export const HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

/** POSTs `body` to `url`: the answer's status and text. */
export async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', headers: { ...HEADERS, ...headers }, body });
  return { status: response.status, text: await response.text() };
}

/** `work(0)` … `work(count − 1)`, eight at a time: their results, in order. */
export async function eightAtATime<T>(count: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await work(i);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return results;
}

/** Sends each request once (8 at a time) and returns the answers' bodies, refusing any non-200 or GraphQL error. */
export async function captureAnswers(url: string, requests: WorkloadRequest[], headers: Record<string, string> = {}): Promise<string[]> {
  return eightAtATime(requests.length, async (i) => {
    const { status, text } = await post(url, requests[i]!.body, { ...headers, ...requests[i]!.headers });
    if (status !== 200 || text.includes('"errors"')) throw new Error(`${url} answered ${status}: ${text.slice(0, 500)}`);
    return text;
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

/** How long a run lasts: seconds of load, or a number of requests. */
type RunLength = { seconds: number; amount?: undefined } | { amount: number; seconds?: undefined };

export type LoadOptions = RunLength & {
  url: string;
  /** Cycled through in order; or the `n`-th request of an endless stream (a fresh body each time, say). */
  requests: WorkloadRequest[] | ((n: number) => WorkloadRequest);
  /** The exact body each request of a list must get. */
  answers?: string[];
  /** Or a check of each answer: what is wrong with it, if anything. */
  verify?: (request: WorkloadRequest, status: number, body: string) => string | undefined;
  connections: number;
  /** Requests per second over all connections; as fast as they go when absent. */
  rate?: number;
  /** Seconds of the same load first, neither measured nor checked. @default 0 */
  warmupSeconds?: number;
  headers?: Record<string, string>;
  /** Count failures in the figures instead of failing the run (the soak reports them). */
  countFailures?: boolean;
};

/** The first wrong answer of a run, and how many 2xx answers were wrong (autocannon counts the non-2xx). */
interface Wrong {
  count: number;
  first: string;
}

/** autocannon's request: the next of `requests` each time, its answer checked by `answers` or `verify`. */
function requestOf({ requests, answers, verify }: LoadOptions, wrong: Wrong): autocannon.Request {
  let next = 0;
  const check = (status: number, body: string, context: Record<string, unknown>) => {
    const problem = verify
      ? verify(context.request as WorkloadRequest, status, body)
      : status !== 200 || body !== answers![context.i as number]
        ? `${status} ${body.slice(0, 300)}`
        : undefined;
    if (problem === undefined) return;
    wrong.first ||= problem;
    if (status >= 200 && status < 300) wrong.count++;
  };
  return {
    setupRequest: (request: autocannon.Request, context: Record<string, unknown>) => {
      const n = next++;
      const i = Array.isArray(requests) ? n % requests.length : n;
      const chosen = Array.isArray(requests) ? requests[i]! : requests(n);
      context.i = i;
      context.request = chosen;
      return { ...request, body: chosen.body, ...(chosen.headers && { headers: { ...request.headers, ...chosen.headers } }) };
    },
    ...((answers || verify) && { onResponse: check }),
  } as autocannon.Request;
}

/**
 * Drives `url` with `connections` clients for `seconds` (or `amount` requests), at `rate` or as
 * fast as they go, through `requests`, and checks every answer — byte for byte against
 * `answers[i]` (what this gateway answered alone, already checked against the other gateways),
 * or by `verify`: a wrong, partial or failed answer fails the run, unless `countFailures`.
 */
export async function runLoad(options: LoadOptions): Promise<LoadFigures> {
  const { url, connections, seconds, amount, rate, warmupSeconds = 0, headers = {}, countFailures = false } = options;
  if (warmupSeconds > 0) {
    const warmup = { seconds: warmupSeconds, warmupSeconds: 0, answers: undefined, verify: undefined, countFailures: true };
    await runLoad({ ...options, ...warmup, amount: undefined });
  }
  const wrong: Wrong = { count: 0, first: '' };
  const latencies: number[] = [];
  let instance!: autocannon.Instance;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    const run: autocannon.Options = {
      url,
      method: 'POST',
      headers: { ...HEADERS, ...headers },
      connections,
      ...(amount === undefined ? { duration: seconds } : { amount }),
      ...(rate !== undefined && { overallRate: rate }),
      // The slowest peers answer The Guild's 87 KB query to 50 clients in seconds, not milliseconds:
      // autocannon's default 10 s would call that a failure. A minute still catches a hung gateway.
      timeout: Number(process.env.BENCH_TIMEOUT_SECONDS ?? 60),
      requests: [requestOf(options, wrong)],
    };
    instance = autocannon(run, (error: unknown, result) =>
      error ? reject(error instanceof Error ? error : new Error('autocannon failed', { cause: error })) : resolve(result),
    );
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => latencies.push(responseTime));
  const result = await done;
  const failures = result.errors + result.timeouts + result.non2xx + wrong.count;
  if (failures && !countFailures)
    throw new Error(
      `${url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx, ${wrong.count} wrong answers (first: ${wrong.first})`,
    );
  latencies.sort((a, b) => a - b);
  return {
    requestsPerSecond: result.requests.total / result.duration,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
    requests: result.requests.total,
    failures,
  };
}
