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
}

export const HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

/** Sends each request once (8 at a time) and returns the answers' bodies, refusing any non-200 or GraphQL error. */
export async function captureAnswers(url: string, requests: WorkloadRequest[], headers: Record<string, string> = {}): Promise<string[]> {
  const answers: string[] = new Array(requests.length);
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const i = next++;
      const response = await fetch(url, { method: 'POST', headers: { ...HEADERS, ...headers }, body: requests[i]!.body });
      const text = await response.text();
      if (response.status !== 200 || text.includes('"errors"'))
        throw new Error(`${url} answered ${response.status}: ${text.slice(0, 500)}`);
      answers[i] = text;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return answers;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

export interface LoadOptions {
  url: string;
  /** Cycled through in order; or the `n`-th request of an endless stream. */
  requests: WorkloadRequest[] | ((n: number) => WorkloadRequest);
  /** The exact body each request of a list must get. */
  answers?: string[];
  /** Or a check of each answer: what is wrong with it, if anything. */
  verify?: (request: WorkloadRequest, status: number, body: string) => string | undefined;
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
}

/**
 * Drives `url` with `connections` clients for `seconds`, through `requests`, and checks every
 * answer — byte for byte against `answers[i]` (what this gateway answered alone, already checked
 * against the other gateways), or by `verify`: a wrong, partial or failed answer fails the run.
 */
export async function runLoad({ url, requests, answers, verify, connections, seconds, headers = {} }: LoadOptions): Promise<LoadFigures> {
  let next = 0;
  let wrong = 0;
  let firstWrong = '';
  const latencies: number[] = [];
  const options = {
    url,
    method: 'POST',
    headers: { ...HEADERS, ...headers },
    connections,
    duration: seconds,
    // The slowest peers answer The Guild's 87 KB query to 50 clients in seconds, not milliseconds:
    // autocannon's default 10 s would call that a failure. A minute still catches a hung gateway.
    timeout: Number(process.env.BENCH_TIMEOUT_SECONDS ?? 60),
    requests: [
      {
        setupRequest: (request: autocannon.Request, context: Record<string, unknown>) => {
          const n = next++;
          const i = Array.isArray(requests) ? n % requests.length : n;
          const chosen = Array.isArray(requests) ? requests[i]! : requests(n);
          context.i = i;
          context.request = chosen;
          return { ...request, body: chosen.body, ...(chosen.headers && { headers: { ...request.headers, ...chosen.headers } }) };
        },
        ...((answers || verify) && {
          onResponse: (status: number, body: string, context: Record<string, unknown>) => {
            const problem = verify
              ? verify(context.request as WorkloadRequest, status, body)
              : status !== 200 || body !== answers![context.i as number]
                ? `${status} ${body.slice(0, 300)}`
                : undefined;
            if (problem !== undefined) {
              wrong++;
              firstWrong ||= problem;
            }
          },
        }),
      },
    ],
  } as autocannon.Options;
  let instance!: autocannon.Instance;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => latencies.push(responseTime));
  const result = await done;
  const failures = result.errors + result.timeouts + result.non2xx + wrong;
  if (failures)
    throw new Error(
      `${url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx, ${wrong} wrong answers (first: ${firstWrong})`,
    );
  latencies.sort((a, b) => a - b);
  return {
    requestsPerSecond: result.requests.total / seconds,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
    requests: result.requests.total,
  };
}
