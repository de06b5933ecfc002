import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  createSubgraphDatabases,
  getFreePort,
  requireEnv,
  sqlRows,
  startReplication,
  TEST_AUTH_ENV,
  waitUntil,
  type Replication,
  type SubgraphDatabases,
} from '@tessera/test-helpers';
import { startHaproxy, startPgBouncer, startReplica, type ServerState, type Started } from '../../verification/scale-out.js';

const root = resolve(import.meta.dirname, '../../..');
export const SUBGRAPHS = ['users', 'products', 'reviews'] as const;
export type Subgraph = (typeof SUBGRAPHS)[number];
export type Tier = 'gateway' | Subgraph;
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
  /**
   * A PostgreSQL primary and streaming replica of the cluster's own ({@link startReplication})
   * instead of the shared test server: the databases on the primary, a second PgBouncer in front
   * of the replica, and every subgraph replica reading on it (`<NAME>_DATABASE_REPLICA_URLS`).
   * @default false
   */
  databaseReplica?: boolean;
}

/** The streaming replica the subgraphs read on, with {@link ClusterOptions.databaseReplica}. */
export interface DatabaseReplica {
  /** The primary and its replica: pause replay, stop either server. */
  replication: Replication;
  /** PgBouncer (transaction mode) in front of the replica. */
  pgbouncerPort: number;
}

/**
 * Tessera scaled out on this machine with the real parts: HAProxy in front of two gateways and
 * of two replicas of each subgraph, PgBouncer in transaction mode in front of PostgreSQL (the
 * test server, or a primary and its streaming replica, each behind a PgBouncer of its own), one
 * Redis (the test server) shared by all. Replica a of each subgraph applies the migrations and
 * seeds; replica b only verifies them (as the Kubernetes Jobs and Deployments do).
 */
export interface Cluster {
  dir: string;
  dbs: SubgraphDatabases;
  appRole: string;
  redisPrefix: string;
  ports: Record<Tier | 'pgbouncer', { front: number; a: number; b: number }>;
  /** Each gateway's internal listener (`/metrics`). */
  metricsPorts: Record<Replica, number>;
  /** Each subgraph replica's internal listener (`/metrics`). */
  subgraphMetricsPorts: Record<Subgraph, Record<Replica, number>>;
  /** The streaming replica, with {@link ClusterOptions.databaseReplica}. */
  databaseReplica?: DatabaseReplica;
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
  /** Kills every replica, HAProxy and the PgBouncers; drops the databases and the role (or destroys the primary and its replica). */
  stop(): Promise<void>;
}

export const graphqlUrl = (port: number) => `http://127.0.0.1:${port}/graphql`;

/** What the replicas' environments are made of. */
type Layout = Pick<Cluster, 'dbs' | 'appRole' | 'redisPrefix' | 'ports' | 'metricsPorts' | 'subgraphMetricsPorts' | 'databaseReplica'>;

/** Starts the cluster: PostgreSQL's side (databases, the services' role, PgBouncer), HAProxy, then every replica; resolves once HAProxy sees them all up. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const dir = await mkdtemp(join(tmpdir(), `tessera-${options.prefix}-`));
  // PgBouncer runs as the postgres user, who must reach its folder inside.
  await chmod(dir, 0o755);
  // Before the ports are picked: replication.sh takes ports of its own, which must not be among them.
  const replication = options.databaseReplica ? await startReplication() : undefined;
  const { ports, metricsPorts, subgraphMetricsPorts } = await clusterPorts();
  const databases = await startDatabases(dir, options.prefix, replication, ports.pgbouncer.front);
  const { dbs, appRole, databaseReplica } = databases;
  const redisPrefix = `${options.prefix}-${randomBytes(4).toString('hex')}:`;
  const layout: Layout = { dbs, appRole, redisPrefix, ports, metricsPorts, subgraphMetricsPorts, databaseReplica };
  const env = {} as Cluster['env'];
  for (const tier of TIERS) env[tier] = { a: replicaEnv(layout, options, tier, 'a'), b: replicaEnv(layout, options, tier, 'b') };
  const haproxy = await startHaproxy(
    join(dir, 'haproxy'),
    TIERS.map((tier) => ({
      name: tier,
      port: ports[tier].front,
      servers: REPLICAS.map((replica) => ({ name: replica, port: ports[tier][replica] })),
      signed: tier !== 'gateway',
    })),
  ).catch(async (error: unknown) => {
    await databases.stop();
    throw error;
  });
  const replicas = Object.fromEntries(TIERS.map((tier) => [tier, {}])) as Cluster['replicas'];
  const cluster: Cluster = {
    ...layout,
    dir,
    env,
    replicas,
    haproxy,
    start: (tier, replica) => startReplica(tier, env[tier][replica], ports[tier][replica]),
    ...haproxyWaits(haproxy),
    async stop() {
      await Promise.all(TIERS.flatMap((tier) => REPLICAS.map((replica) => replicas[tier]?.[replica]?.stop('SIGKILL'))));
      await haproxy.stop();
      await databases.stop();
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

/** A free port for every listener of the cluster (PgBouncer uses only its `front`). */
async function clusterPorts(): Promise<Pick<Cluster, 'ports' | 'metricsPorts' | 'subgraphMetricsPorts'>> {
  const pair = async () => ({ a: await getFreePort(), b: await getFreePort() });
  const ports = {} as Cluster['ports'];
  for (const tier of [...TIERS, 'pgbouncer' as const]) ports[tier] = { front: await getFreePort(), ...(await pair()) };
  const subgraphMetricsPorts = {} as Cluster['subgraphMetricsPorts'];
  for (const subgraph of SUBGRAPHS) subgraphMetricsPorts[subgraph] = await pair();
  return { ports, metricsPorts: await pair(), subgraphMetricsPorts };
}

/** PostgreSQL's side of the cluster. */
interface Databases extends Pick<Cluster, 'dbs' | 'appRole' | 'databaseReplica'> {
  /** Stops the PgBouncers; drops the databases and the role, or destroys the primary and its replica. */
  stop(): Promise<void>;
}

/**
 * The subgraphs' databases and the services' role on the test server, or on `replication`'s
 * primary (whence they stream to its replica); PgBouncer on `pgbouncerPort` in front of the
 * primary, and one of its own in front of the replica.
 */
async function startDatabases(
  dir: string,
  prefix: string,
  replication: Replication | undefined,
  pgbouncerPort: number,
): Promise<Databases> {
  const admin = replication?.primaryUrl ?? requireEnv('TEST_POSTGRES_URL');
  const appRole = `tessera_app_${randomBytes(4).toString('hex')}`;
  const pgbouncers: Started[] = [];
  let dbs: SubgraphDatabases | undefined;
  const stop = async () => {
    await Promise.all(pgbouncers.map((pgbouncer) => pgbouncer.stop()));
    if (replication) return replication.destroy();
    await dbs?.drop();
    await sqlRows(admin, `DROP ROLE IF EXISTS "${appRole}"`);
  };
  const pgbouncer = async (name: string, serverUrl: string, port: number) => {
    const server = new URL(serverUrl);
    pgbouncers.push(
      await startPgBouncer({ dir: join(dir, name), port, server: { host: server.hostname, port: Number(server.port) }, users: [appRole] }),
    );
  };
  try {
    dbs = await createSubgraphDatabases(prefix, admin);
    psql(admin, 'app-role.sql', appRole);
    for (const name of SUBGRAPHS) psql(dbs.byName[name].url, 'app-grants.sql', appRole);
    await pgbouncer('pgbouncer', admin, pgbouncerPort);
    if (!replication) return { dbs, appRole, stop };
    const databaseReplica = { replication, pgbouncerPort: await getFreePort() };
    await pgbouncer('pgbouncer-replica', replication.replicaUrl, databaseReplica.pgbouncerPort);
    return { dbs, appRole, databaseReplica, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Runs one of deploy/postgres's scripts with the services' role as its variable. */
function psql(target: string, file: string, appRole: string): void {
  execFileSync('psql', [
    ...['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-v', `app_role=${appRole}`, '-v', 'app_password=unused-with-trust'],
    ...['-d', target, '-f', join(root, 'deploy/postgres', file)],
  ]);
}

function replicaEnv(layout: Layout, options: ClusterOptions, tier: Tier, replica: Replica): Record<string, string> {
  const common = {
    ...TEST_AUTH_ENV,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    // Behind HAProxy: keep answering, not ready, for a moment after SIGTERM, so its checks notice.
    SHUTDOWN_DELAY_MS: '1000',
    REDIS_URL: requireEnv('TEST_REDIS_URL'),
    REDIS_KEY_PREFIX: layout.redisPrefix,
    ...Object.fromEntries(SUBGRAPHS.map((s) => [`SUBGRAPH_${s.toUpperCase()}_URL`, graphqlUrl(layout.ports[s].front)])),
  };
  if (tier === 'gateway') {
    return {
      ...common,
      GATEWAY_PORT: String(layout.ports.gateway[replica]),
      GATEWAY_METRICS_PORT: String(layout.metricsPorts[replica]),
      ...options.gatewayEnv,
    };
  }
  return { ...common, ...subgraphEnv(layout, tier, replica), ...options.subgraphEnv };
}

/** A subgraph replica's own variables: its ports, its databases through PgBouncer, migrations and seeds. */
function subgraphEnv({ dbs, appRole, ports, subgraphMetricsPorts, databaseReplica }: Layout, tier: Subgraph, replica: Replica) {
  const name = tier.toUpperCase();
  const database = new URL(dbs.byName[tier].url);
  const pooled = (port: number) => `postgres://${appRole}@127.0.0.1:${port}${database.pathname}`;
  const direct = `postgres://${appRole}@${database.host}${database.pathname}`;
  return {
    [`${name}_PORT`]: String(ports[tier][replica]),
    [`${name}_METRICS_PORT`]: String(subgraphMetricsPorts[tier][replica]),
    // The services' role through PgBouncer. Migrations straight to PostgreSQL: replica a applies
    // them as the owner, replica b reads their history as the services' role (as on Kubernetes).
    [`${name}_DATABASE_URL`]: pooled(ports.pgbouncer.front),
    ...(databaseReplica && { [`${name}_DATABASE_REPLICA_URLS`]: pooled(databaseReplica.pgbouncerPort) }),
    [`${name}_DATABASE_MIGRATION_URL`]: replica === 'a' ? dbs.byName[tier].url : direct,
    DATABASE_PREPARED_STATEMENTS: 'false',
    DATABASE_STATEMENT_TIMEOUT_MS: '0',
    // Replica a applies migrations and seeds; replica b only verifies them.
    DATABASE_MIGRATIONS: replica === 'a' ? 'apply' : 'verify',
    SEED_ON_EMPTY: replica === 'a' ? 'true' : 'false',
    SEED_USERS: '20',
    SEED_PRODUCTS: '10',
    SEED_REVIEWS: '60',
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
