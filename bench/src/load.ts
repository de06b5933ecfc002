import autocannon from 'autocannon';

/** One request of a workload: its body, and (after {@link captureAnswers}) the answer it must get. */
export interface WorkloadRequest {
  body: string;
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
      if (response.status !== 200 || text.includes('"errors"')) throw new Error(`${url} answered ${response.status}: ${text.slice(0, 500)}`);
      answers[i] = text;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return answers;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

/**
 * Drives `url` with `connections` clients for `seconds`, cycling through `requests`, and checks
 * every answer's body byte for byte against `answers[i]` (what this gateway answered alone,
 * already checked against the other gateways): a wrong, partial or failed answer fails the run.
 */
export async function runLoad({ url, requests, answers, connections, seconds, headers = {} }: { url: string; requests: WorkloadRequest[]; answers?: string[]; connections: number; seconds: number; headers?: Record<string, string> }): Promise<LoadFigures> {
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
    requests: [
      {
        setupRequest: (request: autocannon.Request, context: Record<string, unknown>) => {
          const i = next++ % requests.length;
          context.i = i;
          return { ...request, body: requests[i]!.body };
        },
        ...(answers && {
          onResponse: (status: number, body: string, context: Record<string, unknown>) => {
            if (status !== 200 || body !== answers[context.i as number]) {
              wrong++;
              firstWrong ||= `${status} ${body.slice(0, 300)}`;
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
  if (failures) throw new Error(`${url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx, ${wrong} wrong answers (first: ${firstWrong})`);
  latencies.sort((a, b) => a - b);
  return {
    requestsPerSecond: result.requests.total / seconds,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
    requests: result.requests.total,
  };
}
