import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { TEST_AUTH_ENV } from './auth.js';
import { getFreePort } from './free-port.js';
import { waitUntil } from './wait-until.js';

/** The four services of the platform, in start order. */
export const SERVICES = ['users', 'products', 'reviews', 'gateway'] as const;
export type ServiceName = (typeof SERVICES)[number];

const repoRoot = resolve(import.meta.dirname, '../../..');
// `node --import tsx` runs the service in one process (the tsx CLI would add a parent
// process, and a SIGKILL to that parent would leave the service running).
const node = resolve(repoRoot, 'node_modules/.bin/node');
const entry: Record<ServiceName, string> = {
  users: 'subgraphs/users/src/main.ts',
  products: 'subgraphs/products/src/main.ts',
  reviews: 'subgraphs/reviews/src/main.ts',
  gateway: 'gateway/src/main.ts',
};

/**
 * Starts one service process as the e2e tests run it (`node --import tsx <entry>`, from the
 * repository root), with `env` on top of this process's environment; its output piped.
 */
export function spawnServiceProcess(service: ServiceName, env: Record<string, string>): ChildProcess {
  return spawn(node, ['--import', 'tsx', entry[service]], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Options of {@link startPlatform}. */
export interface PlatformOptions {
  /** Variables for every service (database URLs, data dirs, seed sizes, …). */
  env?: Record<string, string>;
  /** How long a service may take to become ready. @default 60_000 */
  readyTimeoutMs?: number;
}

/** A running platform: four real processes on free loopback ports. */
export interface Platform {
  gatewayUrl: string;
  ports: Record<ServiceName, number>;
  /** Each service's internal listener (`/metrics`; the gateway's `/health/details` too). */
  metricsPorts: Record<ServiceName, number>;
  /** POSTs a GraphQL operation to the gateway, as the bearer of `token` if given; returns HTTP status and parsed body. */
  graphql(query: string, variables?: Record<string, unknown>, options?: { token?: string }): Promise<{ status: number; body: GraphQLBody }>;
  /** Sends `signal` to one service and waits for it to exit; returns its exit code (null if killed by the signal). */
  kill(service: ServiceName, signal?: NodeJS.Signals): Promise<number | null>;
  /** Starts a killed service again (same port and environment) and waits until it is ready. */
  restart(service: ServiceName): Promise<void>;
  /**
   * Starts one more gateway in front of the same subgraphs, with extra variables (another
   * replica, or another configuration); `stop()` ends it, and `platform.stop()` too.
   */
  spawnGateway(env?: Record<string, string>): Promise<{ url: string; logs(): string; stop(): Promise<number | null> }>;
  /** Everything a service wrote to stdout/stderr so far (for failure messages). */
  logs(service: ServiceName): string;
  /** The process id of a running service (to read its memory, say). */
  pid(service: ServiceName): number;
  /** SIGTERM to all (gateway first), wait for them to exit; returns each one's exit code. */
  stop(): Promise<Record<ServiceName, number | null>>;
}

/**
 * What modern clients (Apollo Client among them) accept: the GraphQL-over-HTTP media type
 * first, under which a request error keeps its 4xx status. Under the legacy
 * `application/json` alone it would be 200 with `errors`.
 */
export const GRAPHQL_RESPONSE_ACCEPT = 'application/graphql-response+json, application/json;q=0.9';

export interface GraphQLBody {
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }>;
}

/** Sends `signal` to a process and waits for it to exit; its exit code (null when ended by the signal). */
async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit');
  child.kill(signal);
  const [code] = (await exited) as [number | null];
  return code;
}

/** Polls `url` until it answers 2xx, the process dies, or time runs out. */
export async function waitForReady(url: string, child: ChildProcess, timeoutMs: number, logs: () => string) {
  const answers = async () => {
    if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before ready:\n${logs()}`);
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined);
    return response?.ok === true;
  };
  await waitUntil(answers, { timeoutMs, intervalMs: 150, what: url }).catch((error: Error) => {
    throw child.exitCode === null ? new Error(`${url} not ready after ${timeoutMs} ms:\n${logs()}`, { cause: error }) : error;
  });
}

/**
 * Starts users, products, reviews and the gateway as separate processes, exactly as
 * `pnpm start` does, on free ports, and waits until each answers `GET /ready`.
 */
export async function startPlatform({ env = {}, readyTimeoutMs = 60_000 }: PlatformOptions = {}): Promise<Platform> {
  const ports = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await getFreePort()]))) as Record<ServiceName, number>;
  const metricsPorts = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await getFreePort()]))) as Record<
    ServiceName,
    number
  >;
  const serviceEnv: Record<string, string> = {
    // Production mode, as deployed: it also keeps Apollo's own signal handling in play.
    NODE_ENV: 'production',
    ...TEST_AUTH_ENV,
    SEED_ON_EMPTY: 'true',
    LOG_LEVEL: 'warn',
    LOG_PRETTY: 'false',
    HOST: '127.0.0.1',
    SUPERGRAPH_SOURCE: 'file',
    ...Object.fromEntries(SERVICES.filter((s) => s !== 'gateway').map((s) => [`${s.toUpperCase()}_PORT`, String(ports[s])])),
    ...Object.fromEntries(
      SERVICES.filter((s) => s !== 'gateway').map((s) => [`SUBGRAPH_${s.toUpperCase()}_URL`, `http://127.0.0.1:${ports[s]}/graphql`]),
    ),
    GATEWAY_PORT: String(ports.gateway),
    ...Object.fromEntries(SERVICES.map((s) => [`${s.toUpperCase()}_METRICS_PORT`, String(metricsPorts[s])])),
    ...env,
  };
  const children = new Map<ServiceName, ChildProcess>();
  const output = new Map<ServiceName, string[]>(SERVICES.map((s) => [s, []]));
  const logs = (service: ServiceName) => output.get(service)!.join('');

  const extraGateways = new Set<ChildProcess>();
  const spawnService = (service: ServiceName, env: Record<string, string>) => spawnServiceProcess(service, { ...serviceEnv, ...env });

  const launch = async (service: ServiceName) => {
    const child = spawnService(service, {});
    for (const stream of [child.stdout, child.stderr]) stream!.on('data', (chunk) => output.get(service)!.push(String(chunk)));
    children.set(service, child);
    await waitForReady(`http://127.0.0.1:${ports[service]}/health`, child, readyTimeoutMs, () => logs(service));
  };

  const stopOne = async (service: ServiceName, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => {
    const child = children.get(service);
    return child ? stopChild(child, signal) : null;
  };

  try {
    await Promise.all(SERVICES.filter((s) => s !== 'gateway').map(launch));
    await launch('gateway');
    await waitForReady(`http://127.0.0.1:${ports.gateway}/ready`, children.get('gateway')!, readyTimeoutMs, () => logs('gateway'));
  } catch (error) {
    await Promise.all(SERVICES.map((s) => stopOne(s, 'SIGKILL')));
    throw error;
  }

  const gatewayUrl = `http://127.0.0.1:${ports.gateway}/graphql`;
  return {
    gatewayUrl,
    ports,
    metricsPorts,
    async graphql(query, variables, { token } = {}) {
      const response = await fetch(gatewayUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: GRAPHQL_RESPONSE_ACCEPT,
          ...(token && { authorization: `Bearer ${token}` }),
        },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, body: (await response.json()) as GraphQLBody };
    },
    kill: stopOne,
    async restart(service) {
      await launch(service);
      await waitForReady(`http://127.0.0.1:${ports[service]}/ready`, children.get(service)!, readyTimeoutMs, () => logs(service));
    },
    async spawnGateway(env = {}) {
      const port = await getFreePort();
      const child = spawnService('gateway', { ...env, GATEWAY_PORT: String(port), GATEWAY_METRICS_PORT: String(await getFreePort()) });
      let output = '';
      for (const stream of [child.stdout, child.stderr]) stream!.on('data', (chunk) => (output += String(chunk)));
      extraGateways.add(child);
      const stop = () => {
        extraGateways.delete(child);
        return stopChild(child);
      };
      try {
        await waitForReady(`http://127.0.0.1:${port}/ready`, child, readyTimeoutMs, () => output);
      } catch (error) {
        await stop();
        throw error;
      }
      return { url: `http://127.0.0.1:${port}/graphql`, logs: () => output, stop };
    },
    logs,
    pid: (service) => children.get(service)!.pid!,
    async stop() {
      await Promise.all([...extraGateways].map((child) => stopChild(child)));
      const gateway = await stopOne('gateway');
      const subgraphs = await Promise.all(SERVICES.filter((s) => s !== 'gateway').map(async (s) => [s, await stopOne(s)]));
      return { ...Object.fromEntries(subgraphs), gateway } as Record<ServiceName, number | null>;
    },
  };
}
