/**
 * Fuzzing with bad requests: FUZZ_REQUESTS of them (10,000 by default; `pnpm fuzz` sends more),
 * generated from a fixed seed (FUZZ_SEED to vary it), to the gateway and to each subgraph on
 * real PostgreSQL. Whatever arrives: no status of 500 or more, a code on every error and none
 * of them INTERNAL_SERVER_ERROR, no stack trace in any body, every process still answering
 * /health, and each one's memory (RSS) within 1.5× of what it used before the run.
 */
import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { startPlatformWithDatabases, type GraphQLResponse, type PlatformWithDatabases, type ServiceName } from '@tessera/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { responseBodies, sendRaw } from './fuzz/raw-http.js';
import { badRequest, type FuzzRequest } from './fuzz/requests.js';

const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const CONCURRENCY = 8;
/** Requests sent first, unmeasured: V8 grows each heap to the size this load needs before memory is compared. */
const WARM_UP = 2_000;
const SERVICES: ServiceName[] = ['gateway', 'users', 'products', 'reviews'];

let platform: PlatformWithDatabases;
beforeAll(async () => {
  // With Redis: the caches (and the keys of their entries) are fuzzed too.
  platform = await startPlatformWithDatabases('fuzz', {
    env: {
      SEED_USERS: '30',
      SEED_PRODUCTS: '20',
      SEED_REVIEWS: '100',
      REDIS_URL: process.env.TEST_REDIS_URL!,
      REDIS_KEY_PREFIX: `fuzz-${process.pid}-${Date.now()}:`,
    },
  });
}, 120_000);
afterAll(() => platform?.stop());

const rssOf = async (service: ServiceName) =>
  Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${platform.pid(service)}/status`, 'utf8'))![1]) * 1024;

interface Outcome {
  request: FuzzRequest;
  status: number;
  text: string;
}

/** Requests answered only when sent a second time: the first connection was reset under them. */
let resentAfterReset = 0;

async function send(request: FuzzRequest, attempt = 1): Promise<Outcome> {
  if (request.raw !== undefined) {
    const port = request.target === 'gateway' ? Number(new URL(platform.gatewayUrl).port) : platform.ports[request.target];
    const { status, text } = await sendRaw(port, request.raw);
    return { request, status, text };
  }
  const base = request.target === 'gateway' ? platform.gatewayUrl : `http://127.0.0.1:${platform.ports[request.target]}/graphql`;
  const url = new URL(request.path, base);
  try {
    const response = await fetch(url, { method: request.method, headers: request.headers, body: request.body });
    return { request, status: response.status, text: await response.text() };
  } catch (error) {
    // A kept-alive connection can be closed by the server just as a request is put on it;
    // sent again on a new one it must be answered, or it counts as a failure (status 0).
    if (attempt === 1) {
      resentAfterReset += 1;
      return send(request, 2);
    }
    return { request, status: 0, text: String((error as Error).cause ?? error) };
  }
}

/** A body as parsed, its shape unknown: what is checked is whether it is a GraphQL response. */
type Answer = Pick<GraphQLResponse<unknown>, 'data'> & { errors?: Array<{ extensions?: { code?: unknown } }> };

/** Node's own limit on a request's head: a longer one is refused, connection closed, before any of our code runs. */
const MAX_HEADER_BYTES = 16 * 1024;

/** What is wrong with an answer, or null. */
function problem(outcome: Outcome): string | null {
  if (outcome.request.raw !== undefined) return rawProblem(outcome);
  const { request, status, text } = outcome;
  const headBytes = request.path.length + Object.entries(request.headers).reduce((sum, [k, v]) => sum + k.length + v.length + 4, 0);
  if (status === 0 && headBytes > MAX_HEADER_BYTES) return null;
  if (status === 0) return `no answer (${text})`;
  if (status >= 500) return `status ${status}`;
  if (/\n\s+at |stacktrace|\.ts:\d+|node_modules/.test(text)) return 'a stack trace in the body';
  if (status === 204 || request.method === 'HEAD' || text === '') return null;
  let body: Answer;
  try {
    body = JSON.parse(text) as Answer;
  } catch {
    return 'a body that is not JSON';
  }
  return errorsProblem(body);
}

/** Every error carries a code, none INTERNAL_SERVER_ERROR. */
function errorsProblem(body: Answer): string | null {
  for (const error of body.errors ?? []) {
    if (typeof error.extensions?.code !== 'string') return 'an error without extensions.code';
    if (error.extensions.code === 'INTERNAL_SERVER_ERROR') return 'INTERNAL_SERVER_ERROR for a client mistake';
  }
  return null;
}

/**
 * What is wrong with the answer to bytes written on a socket: a 5xx, a stack, or a body outside
 * GraphQL's shape (Fastify's own `{"error": …}` among them). No answer is fine: a request whose
 * body is not all there yet is waited for.
 */
function rawProblem({ status, text }: Outcome): string | null {
  if (status >= 500) return `status ${status}`;
  if (/\n\s+at |stacktrace|\.ts:\d+|node_modules/.test(text)) return 'a stack trace in the body';
  for (const body of responseBodies(text)) {
    if (body === '') continue;
    let parsed: Answer;
    try {
      parsed = JSON.parse(body) as Answer;
    } catch {
      return 'a body that is not JSON';
    }
    if (parsed.data === undefined && !parsed.errors?.length && !('status' in parsed)) return "a body outside GraphQL's shape";
    const found = errorsProblem(parsed);
    if (found) return found;
  }
  return null;
}

async function sendAll(requests: FuzzRequest[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests.length) outcomes.push(await send(requests[next++]!));
    }),
  );
  return outcomes;
}

describe('bad requests', () => {
  it(`${REQUESTS} generated bad requests: no 5xx, a code on every error, no stack, every process alive, memory kept`, async () => {
    const requests = fc.sample(badRequest, { numRuns: REQUESTS + WARM_UP, seed: SEED });
    await sendAll(requests.slice(0, WARM_UP));
    const before = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await rssOf(s)] as const)));

    // In slices, reading memory after each: a long run (pnpm fuzz) shows whether it levels off.
    const outcomes: Outcome[] = [];
    const trend: Record<string, number[]> = Object.fromEntries(SERVICES.map((s) => [s, []]));
    for (let start = WARM_UP; start < requests.length; start += 5_000) {
      outcomes.push(...(await sendAll(requests.slice(start, start + 5_000))));
      for (const service of SERVICES) trend[service]!.push(Math.round((await rssOf(service)) / 1_048_576));
    }
    const failures = outcomes.flatMap((outcome) => {
      const found = problem(outcome);
      const sent =
        outcome.request.raw !== undefined
          ? JSON.stringify(outcome.request.raw.slice(0, 300))
          : `${outcome.request.method} ${outcome.request.path.slice(0, 80)} ${JSON.stringify(outcome.request.headers)} ${(outcome.request.body ?? '').slice(0, 200)}`;
      return found ? [`${found}: ${outcome.request.target} ${sent} → ${outcome.status} ${outcome.text.slice(0, 300)}`] : [];
    });

    const byStatus = new Map<number, number>();
    for (const { status } of outcomes) byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    const after = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await rssOf(s)] as const)));
    const growth = Object.fromEntries(SERVICES.map((s) => [s, Number((after[s]! / before[s]!).toFixed(2))]));
    const mib = (bytes: number) => Math.round(bytes / 1_048_576);
    console.log(`fuzz: RSS MiB after each 5,000 requests ${JSON.stringify(trend)}`);
    console.log(
      `fuzz: ${outcomes.length} requests (seed ${SEED}), ${resentAfterReset} resent after a connection reset; statuses ${JSON.stringify(Object.fromEntries([...byStatus].sort()))}; RSS after/before ${JSON.stringify(growth)} (MiB ${JSON.stringify(Object.fromEntries(SERVICES.map((s) => [s, `${mib(before[s]!)}→${mib(after[s]!)}`])))})`,
    );

    if (failures.length) console.log(failures.slice(0, 20).join('\n'));
    expect(failures.slice(0, 10), `${failures.length} bad answers`).toEqual([]);
    expect(outcomes).toHaveLength(REQUESTS);
    for (const service of SERVICES) {
      expect((await fetch(`http://127.0.0.1:${platform.ports[service]}/health`)).status, service).toBe(200);
      expect(growth[service], `${service} RSS ${before[service]} → ${after[service]}`).toBeLessThanOrEqual(1.5);
    }
  }, 900_000);
});
