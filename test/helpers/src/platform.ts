import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { TEST_AUTH_ENV } from './auth.js';
import { getFreePort } from './free-port.js';
import { postGraphQL, type GraphQLResponse } from './graphql-http.js';
import { createSubgraphDatabases, type SubgraphDatabases } from './subgraph-databases.js';
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

/** Where the four services listen: each one's API, and its internal listener (`/metrics`). */
export interface ServicePorts {
  ports: Record<ServiceName, number>;
  metricsPorts: Record<ServiceName, number>;
}

/** Free loopback ports ({@link getFreePort}) for every service's API and internal listener. */
export async function freeServicePorts(): Promise<ServicePorts> {
  const pick = async () =>
    Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await getFreePort()]))) as Record<ServiceName, number>;
  return { ports: await pick(), metricsPorts: await pick() };
}

/**
 * The variables that put each service on its ports (`USERS_PORT`, `GATEWAY_METRICS_PORT`, …) and
 * point the gateway at the subgraphs (`SUBGRAPH_USERS_URL`, …); with `dataRoot`, each subgraph's
 * embedded database in a directory of its own under it (`USERS_DATA_DIR`, …).
 */
export function serviceAddressEnv({ ports, metricsPorts }: ServicePorts, dataRoot?: string): Record<string, string> {
  const env: Record<string, string> = { GATEWAY_PORT: String(ports.gateway), GATEWAY_METRICS_PORT: String(metricsPorts.gateway) };
  for (const subgraph of SERVICES.filter((s) => s !== 'gateway')) {
    const name = subgraph.toUpperCase();
    env[`${name}_PORT`] = String(ports[subgraph]);
    env[`${name}_METRICS_PORT`] = String(metricsPorts[subgraph]);
    env[`SUBGRAPH_${name}_URL`] = `http://127.0.0.1:${ports[subgraph]}/graphql`;
    if (dataRoot) env[`${name}_DATA_DIR`] = join(dataRoot, subgraph);
  }
  return env;
}

/** Options of {@link startPlatform}. */
export interface PlatformOptions {
  /** Variables for every service (database URLs, data dirs, seed sizes, …). */
  env?: Record<string, string>;
  /** How long a service may take to become ready. @default 60_000 */
  readyTimeoutMs?: number;
}

/** One more gateway of a platform ({@link Platform.spawnGateway}). */
export interface ExtraGateway {
  /** Its GraphQL endpoint. */
  url: string;
  /** Its internal listener's port (`/metrics`). */
  metricsPort: number;
  /** Everything it wrote to stdout/stderr so far. */
  logs(): string;
  /** SIGTERM, and wait for it to exit; its exit code. */
  stop(): Promise<number | null>;
}

/** A running platform: four real processes on free loopback ports. */
export interface Platform {
  gatewayUrl: string;
  ports: Record<ServiceName, number>;
  /** Each service's internal listener (`/metrics`; the gateway's `/health/details` too). */
  metricsPorts: Record<ServiceName, number>;
  /**
   * POSTs a GraphQL operation to the gateway, as the bearer of `token` if given; returns HTTP
   * status and parsed body, its `data` of the type given (what the operation selects).
   */
  graphql<TData = Record<string, unknown>, TExtensions = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: { token?: string },
  ): Promise<{ status: number; body: GraphQLResponse<TData, TExtensions> }>;
  /** Sends `signal` to one service and waits for it to exit; returns its exit code (null if killed by the signal). */
  kill(service: ServiceName, signal?: NodeJS.Signals): Promise<number | null>;
  /** Starts a killed service again (same port and environment) and waits until it is ready. */
  restart(service: ServiceName): Promise<void>;
  /**
   * Starts one more gateway in front of the same subgraphs, with extra variables (another
   * replica, or another configuration); `stop()` ends it, and `platform.stop()` too.
   */
  spawnGateway(env?: Record<string, string>): Promise<ExtraGateway>;
  /** Everything a service wrote to stdout/stderr so far (for failure messages). */
  logs(service: ServiceName): string;
  /** The process id of a running service (to read its memory, say). */
  pid(service: ServiceName): number;
  /** SIGTERM to all (gateway first), wait for them to exit; returns each one's exit code. */
  stop(): Promise<Record<ServiceName, number | null>>;
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
  const { ports, metricsPorts } = await freeServicePorts();
  const serviceEnv: Record<string, string> = {
    // Production mode, as deployed: it also keeps Apollo's own signal handling in play.
    NODE_ENV: 'production',
    ...TEST_AUTH_ENV,
    SEED_ON_EMPTY: 'true',
    LOG_LEVEL: 'warn',
    LOG_PRETTY: 'false',
    HOST: '127.0.0.1',
    SUPERGRAPH_SOURCE: 'file',
    ...serviceAddressEnv({ ports, metricsPorts }),
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
    async graphql<TData, TExtensions>(query: string, variables?: Record<string, unknown>, { token }: { token?: string } = {}) {
      const { status, body } = await postGraphQL<TData, TExtensions>(
        gatewayUrl,
        { query, variables },
        token ? { authorization: `Bearer ${token}` } : {},
      );
      return { status, body };
    },
    kill: stopOne,
    async restart(service) {
      await launch(service);
      await waitForReady(`http://127.0.0.1:${ports[service]}/ready`, children.get(service)!, readyTimeoutMs, () => logs(service));
    },
    async spawnGateway(env = {}) {
      const port = await getFreePort();
      const metricsPort = await getFreePort();
      const child = spawnService('gateway', { ...env, GATEWAY_PORT: String(port), GATEWAY_METRICS_PORT: String(metricsPort) });
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
      return { url: `http://127.0.0.1:${port}/graphql`, metricsPort, logs: () => output, stop };
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

/** A platform on databases of its own ({@link startPlatformWithDatabases}). */
export interface PlatformWithDatabases extends Platform {
  /** The subgraphs' databases (for assertions on what the services wrote). */
  databases: SubgraphDatabases;
  /** Stops the services (as {@link Platform.stop}), then drops the databases. */
  stop(): Promise<Record<ServiceName, number | null>>;
}

/** Options of {@link startPlatformWithDatabases}. */
export interface PlatformWithDatabasesOptions extends PlatformOptions {
  /** The PostgreSQL server's admin URL. @default TEST_POSTGRES_URL */
  adminUrl?: string;
}

/**
 * A fresh database per subgraph (`createSubgraphDatabases(prefix)`) and the platform on them
 * (`startPlatform`, the databases' URLs added to `env`); `stop()` ends both. The databases are
 * dropped again when the platform fails to start.
 */
export async function startPlatformWithDatabases(
  prefix: string,
  { adminUrl, env = {}, ...options }: PlatformWithDatabasesOptions = {},
): Promise<PlatformWithDatabases> {
  const databases = await createSubgraphDatabases(prefix, adminUrl);
  let platform: Platform;
  try {
    platform = await startPlatform({ ...options, env: { ...databases.env, ...env } });
  } catch (error) {
    await databases.drop();
    throw error;
  }
  return {
    ...platform,
    databases,
    async stop() {
      try {
        return await platform.stop();
      } finally {
        await databases.drop();
      }
    },
  };
}
