import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createSubgraphDatabases, getFreePort, requireEnv, TEST_AUTH_ENV, waitUntil, type SubgraphDatabases } from '@tessera/test-helpers';
import pg from 'pg';
import { startHaproxy, startPgBouncer, startReplica, type ServerState, type Started } from '../../verification/scale-out.js';

const root = resolve(import.meta.dirname, '../../..');
export const SUBGRAPHS = ['users', 'products', 'reviews'] as const;
export type Tier = 'gateway' | (typeof SUBGRAPHS)[number];
export const TIERS: Tier[] = ['gateway', ...SUBGRAPHS];
export const REPLICAS = ['a', 'b'] as const;
export type Replica = (typeof REPLICAS)[number];

/** HAProxy's view: `backend/server` (`gateway/b`) → its state. */
export type States = Record<string, ServerState>;

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** Names the databases and the Redis key prefix. */
  prefix: string;
  /** Variables of every gateway replica, over the cluster's own. */
  gatewayEnv?: Record<string, string>;
  /** Variables of every subgraph replica, over the cluster's own. */
  subgraphEnv?: Record<string, string>;
  /** Before any replica runs (the cluster's ports and environments are known). */
  beforeReplicas?: (cluster: Cluster) => Promise<void>;
}

/**
 * Tessera scaled out on this machine with the real parts: HAProxy in front of two gateways and
 * of two replicas of each subgraph, PgBouncer in transaction mode in front of PostgreSQL (the
 * test server), one Redis (the test server) shared by all. Replica a of each subgraph applies the
 * migrations and seeds; replica b only verifies them (as the Kubernetes Jobs and Deployments do).
 */
export interface Cluster {
  dir: string;
  dbs: SubgraphDatabases;
  appRole: string;
  redisPrefix: string;
  ports: Record<Tier | 'pgbouncer', { front: number; a: number; b: number }>;
  /** Each gateway's internal listener (`/metrics`). */
  metricsPorts: Record<Replica, number>;
  env: Record<Tier, Record<Replica, Record<string, string>>>;
  replicas: Record<Tier, Record<Replica, Started>>;
  haproxy: Awaited<ReturnType<typeof startHaproxy>>;
  /** Starts one replica (again) with its environment, and waits until it is ready. */
  start(tier: Tier, replica: Replica): Promise<Started>;
  /** Waits until `condition` holds of HAProxy's server states, and returns them; on timeout, the message shows the last ones seen. */
  untilHaproxy(what: string, condition: (states: States) => boolean, timeoutMs?: number): Promise<States>;
  /** Waits until HAProxy sees every replica of every tier up. */
  allUp(): Promise<void>;
  /** Waits until HAProxy's health checks have marked each of `servers` (`backend/server`) `status`. */
  marked(status: 'UP' | 'DOWN', servers: string[]): Promise<void>;
  /** Waits until HAProxy has given each of `servers` a request since it showed `since`; returns its states then. */
  servedSince(since: States, servers: string[]): Promise<States>;
  /** Kills every replica, HAProxy and PgBouncer; drops the databases and the role. */
  stop(): Promise<void>;
}

export const graphqlUrl = (port: number) => `http://127.0.0.1:${port}/graphql`;

/** Starts the cluster: databases and the services' role, PgBouncer, HAProxy, then every replica; resolves once HAProxy sees them all up. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const dir = await mkdtemp(join(tmpdir(), `tessera-${options.prefix}-`));
  // PgBouncer runs as the postgres user, who must reach its folder inside.
  await chmod(dir, 0o755);
  const dbs = await createSubgraphDatabases(options.prefix);
  const appRole = `tessera_app_${randomBytes(4).toString('hex')}`;
  const admin = requireEnv('TEST_POSTGRES_URL');
  psql(admin, 'app-role.sql', appRole);
  for (const name of SUBGRAPHS) psql(dbs.byName[name].url, 'app-grants.sql', appRole);
  const ports = {} as Cluster['ports'];
  for (const tier of [...TIERS, 'pgbouncer' as const])
    ports[tier] = { front: await getFreePort(), a: await getFreePort(), b: await getFreePort() };
  const metricsPorts = { a: await getFreePort(), b: await getFreePort() };
  const partial = { dir, dbs, appRole, redisPrefix: `${options.prefix}-${randomBytes(4).toString('hex')}:`, ports, metricsPorts };
  const env = {} as Cluster['env'];
  for (const tier of TIERS) env[tier] = { a: replicaEnv(partial, options, tier, 'a'), b: replicaEnv(partial, options, tier, 'b') };
  const server = new URL(admin);
  const pgbouncer = await startPgBouncer({
    dir: join(dir, 'pgbouncer'),
    port: ports.pgbouncer.front,
    server: { host: server.hostname, port: Number(server.port) },
    users: [appRole],
  });
  const haproxy = await startHaproxy(
    join(dir, 'haproxy'),
    TIERS.map((tier) => ({
      name: tier,
      port: ports[tier].front,
      servers: REPLICAS.map((replica) => ({ name: replica, port: ports[tier][replica] })),
      signed: tier !== 'gateway',
    })),
  );
  const replicas = Object.fromEntries(TIERS.map((tier) => [tier, {}])) as Cluster['replicas'];
  const cluster: Cluster = {
    ...partial,
    env,
    replicas,
    haproxy,
    start: (tier, replica) => startReplica(tier, env[tier][replica], ports[tier][replica]),
    ...haproxyWaits(haproxy),
    async stop() {
      await Promise.all(TIERS.flatMap((tier) => REPLICAS.map((replica) => replicas[tier]?.[replica]?.stop('SIGKILL'))));
      await haproxy.stop();
      await pgbouncer.stop();
      await dbs.drop();
      const client = new pg.Client(admin);
      await client.connect();
      await client.query(`DROP ROLE IF EXISTS "${appRole}"`);
      await client.end();
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await options.beforeReplicas?.(cluster);
    await Promise.all(SUBGRAPHS.map(async (tier) => (replicas[tier].a = await cluster.start(tier, 'a'))));
    await Promise.all(SUBGRAPHS.map(async (tier) => (replicas[tier].b = await cluster.start(tier, 'b'))));
    await Promise.all(REPLICAS.map(async (replica) => (replicas.gateway[replica] = await cluster.start('gateway', replica))));
    await cluster.allUp();
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/** Runs one of deploy/postgres's scripts with the services' role as its variable. */
function psql(target: string, file: string, appRole: string): void {
  execFileSync('psql', [
    ...['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-v', `app_role=${appRole}`, '-v', 'app_password=unused-with-trust'],
    ...['-d', target, '-f', join(root, 'deploy/postgres', file)],
  ]);
}

function replicaEnv(
  cluster: Pick<Cluster, 'dbs' | 'appRole' | 'redisPrefix' | 'ports' | 'metricsPorts'>,
  options: ClusterOptions,
  tier: Tier,
  replica: Replica,
): Record<string, string> {
  const { ports, dbs, appRole } = cluster;
  const common = {
    ...TEST_AUTH_ENV,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    // Behind HAProxy: keep answering, not ready, for a moment after SIGTERM, so its checks notice.
    SHUTDOWN_DELAY_MS: '1000',
    REDIS_URL: requireEnv('TEST_REDIS_URL'),
    REDIS_KEY_PREFIX: cluster.redisPrefix,
    ...Object.fromEntries(SUBGRAPHS.map((s) => [`SUBGRAPH_${s.toUpperCase()}_URL`, graphqlUrl(ports[s].front)])),
  };
  if (tier === 'gateway') {
    return {
      ...common,
      GATEWAY_PORT: String(ports.gateway[replica]),
      GATEWAY_METRICS_PORT: String(cluster.metricsPorts[replica]),
      ...options.gatewayEnv,
    };
  }
  const name = tier.toUpperCase();
  const database = new URL(dbs.byName[tier].url);
  const pooled = `postgres://${appRole}@127.0.0.1:${ports.pgbouncer.front}${database.pathname}`;
  const direct = `postgres://${appRole}@${database.host}${database.pathname}`;
  return {
    ...common,
    [`${name}_PORT`]: String(ports[tier][replica]),
    [`${name}_METRICS_PORT`]: '0',
    // The services' role through PgBouncer. Migrations straight to PostgreSQL: replica a applies
    // them as the owner, replica b reads their history as the services' role (as on Kubernetes).
    [`${name}_DATABASE_URL`]: pooled,
    [`${name}_DATABASE_MIGRATION_URL`]: replica === 'a' ? dbs.byName[tier].url : direct,
    DATABASE_PREPARED_STATEMENTS: 'false',
    DATABASE_STATEMENT_TIMEOUT_MS: '0',
    // Replica a applies migrations and seeds; replica b only verifies them.
    DATABASE_MIGRATIONS: replica === 'a' ? 'apply' : 'verify',
    SEED_ON_EMPTY: replica === 'a' ? 'true' : 'false',
    SEED_USERS: '20',
    SEED_PRODUCTS: '10',
    SEED_REVIEWS: '60',
    ...options.subgraphEnv,
  };
}

/** Waits on HAProxy's view of the servers. */
function haproxyWaits(haproxy: Cluster['haproxy']): Pick<Cluster, 'untilHaproxy' | 'allUp' | 'marked' | 'servedSince'> {
  const untilHaproxy = async (what: string, condition: (states: States) => boolean, timeoutMs = 30_000) => {
    let last: States = {};
    try {
      await waitUntil(async () => condition((last = await haproxy.serverStates())), { timeoutMs, intervalMs: 50, what });
    } catch (error) {
      const seen = Object.entries(last).map(([server, { status, sessions }]) => `${server} ${status} ${sessions} requests`);
      throw new Error(`${(error as Error).message}; HAProxy last saw: ${seen.join(', ')}`, { cause: error });
    }
    return last;
  };
  return {
    untilHaproxy,
    allUp: async () => {
      await untilHaproxy('every replica UP in HAProxy', (states) => Object.values(states).every((state) => state.status === 'UP'));
    },
    marked: async (status, servers) => {
      await untilHaproxy(`${servers.join(', ')} ${status} in HAProxy`, (states) =>
        servers.every((server) => states[server]?.status === status),
      );
    },
    servedSince: (since, servers) =>
      untilHaproxy(`HAProxy to give ${servers.join(', ')} a request`, (states) =>
        servers.every((server) => (states[server]?.sessions ?? 0) > (since[server]?.sessions ?? Infinity)),
      ),
  };
}
