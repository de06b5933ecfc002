/**
 * Scale-out with the real parts, on this machine: HAProxy in front of two gateways and of two
 * replicas of each subgraph, PgBouncer in transaction mode in front of PostgreSQL, one Redis
 * (the test servers). Replicas are killed, restarted and rolled under load; shared state
 * (persisted queries, the trusted-documents manifest, migrations) is seen by every replica.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  createSubgraphDatabases,
  getFreePort,
  requireEnv,
  TEST_AUTH_ENV,
  testToken,
  waitUntil,
  type SubgraphDatabases,
} from '@tessera/test-helpers';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHaproxy, startPgBouncer, startReplica, type ServerState, type Started } from '../verification/scale-out.js';

const root = resolve(import.meta.dirname, '../..');
const SUBGRAPHS = ['users', 'products', 'reviews'] as const;
type Tier = 'gateway' | (typeof SUBGRAPHS)[number];
const TIERS: Tier[] = ['gateway', ...SUBGRAPHS];
const REPLICAS = ['a', 'b'] as const;
type Replica = (typeof REPLICAS)[number];
const STOREFRONT = '{ topProducts(first: 3) { name reviews(first: 2) { edges { node { rating author { username } } } } } }';

const appRole = `tessera_app_${randomBytes(4).toString('hex')}`;
const redisPrefix = `scaleout-${randomBytes(4).toString('hex')}:`;
let dir: string;
let dbs: SubgraphDatabases;
let pgbouncer: Started;
let haproxy: Awaited<ReturnType<typeof startHaproxy>>;
const ports = {} as Record<Tier | 'pgbouncer', { front: number; a: number; b: number }>;
const env = {} as Record<Tier, Record<Replica, Record<string, string>>>;
const replicas = {} as Record<Tier, Record<Replica, Started>>;
let refusedBeforeMigrations: Array<{ code: number | null; logs: string }>;

const url = (port: number) => `http://127.0.0.1:${port}/graphql`;
/** A GraphQL answer, as far as the tests read it; `Data` is the shape the query asks for. */
interface Answer<Data> {
  data?: Data | null;
  errors?: Array<{ extensions?: { code?: string } }>;
}
interface TopProducts {
  topProducts?: Array<{ name: string }> | null;
}
const post = async <Data = TopProducts>(port: number, body: unknown, headers: Record<string, string> = {}) => {
  const response = await fetch(url(port), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer<Data> };
};

function replicaEnv(tier: Tier, replica: Replica): Record<string, string> {
  const common = {
    ...TEST_AUTH_ENV,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    // Behind HAProxy: keep answering, not ready, for a moment after SIGTERM, so its checks notice.
    SHUTDOWN_DELAY_MS: '1000',
    ...Object.fromEntries(SUBGRAPHS.map((s) => [`SUBGRAPH_${s.toUpperCase()}_URL`, url(ports[s].front)])),
  };
  if (tier === 'gateway') {
    // The cache off: every storefront request must reach every tier, or a restarted replica has nothing to serve.
    return {
      ...common,
      GATEWAY_PORT: String(ports.gateway[replica]),
      GATEWAY_METRICS_PORT: '0',
      CACHE_MODE: 'off',
      REDIS_URL: requireEnv('TEST_REDIS_URL'),
      REDIS_KEY_PREFIX: redisPrefix,
      PERSISTED_QUERIES_MODE: 'allow',
      PQ_MANIFEST_REFRESH_MS: '500',
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
  };
}

const start = (tier: Tier, replica: Replica) => startReplica(tier, env[tier][replica], ports[tier][replica]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-scale-out-'));
  // PgBouncer runs as the postgres user, who must reach its folder inside.
  await chmod(dir, 0o755);
  dbs = await createSubgraphDatabases('scaleout');
  const admin = requireEnv('TEST_POSTGRES_URL');
  const psql = (target: string, file: string) =>
    execFileSync('psql', [
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-v',
      `app_role=${appRole}`,
      '-v',
      'app_password=unused-with-trust',
      '-d',
      target,
      '-f',
      join(root, 'deploy/postgres', file),
    ]);
  psql(admin, 'app-role.sql');
  for (const name of SUBGRAPHS) psql(dbs.byName[name].url, 'app-grants.sql');
  for (const tier of [...TIERS, 'pgbouncer' as const])
    ports[tier] = { front: await getFreePort(), a: await getFreePort(), b: await getFreePort() };
  for (const tier of TIERS) env[tier] = { a: replicaEnv(tier, 'a'), b: replicaEnv(tier, 'b') };
  const server = new URL(admin);
  pgbouncer = await startPgBouncer({
    dir: join(dir, 'pgbouncer'),
    port: ports.pgbouncer.front,
    server: { host: server.hostname, port: Number(server.port) },
    users: [appRole],
  });
  haproxy = await startHaproxy(
    join(dir, 'haproxy'),
    TIERS.map((tier) => ({
      name: tier,
      port: ports[tier].front,
      servers: REPLICAS.map((replica) => ({ name: replica, port: ports[tier][replica] })),
    })),
  );
  // Before any migration: a replica that only verifies refuses to start.
  refusedBeforeMigrations = await Promise.all(
    SUBGRAPHS.map(async (tier) => {
      const early = await startReplica(tier, env[tier].b, ports[tier].b, { ready: false });
      const code = await new Promise<number | null>((done) => early.child.once('exit', (exitCode) => done(exitCode)));
      return { code, logs: early.logs() };
    }),
  );
  for (const tier of TIERS) replicas[tier] = {} as Record<Replica, Started>;
  await Promise.all(SUBGRAPHS.map(async (tier) => (replicas[tier].a = await start(tier, 'a'))));
  await Promise.all(SUBGRAPHS.map(async (tier) => (replicas[tier].b = await start(tier, 'b'))));
  await Promise.all(REPLICAS.map(async (replica) => (replicas.gateway[replica] = await start('gateway', replica))));
  await allUp();
}, 300_000);

afterAll(async () => {
  await Promise.all(TIERS.flatMap((tier) => REPLICAS.map((replica) => replicas[tier]?.[replica]?.stop('SIGKILL'))));
  await haproxy?.stop();
  await pgbouncer?.stop();
  await dbs?.drop();
  const admin = new pg.Client(requireEnv('TEST_POSTGRES_URL'));
  await admin.connect();
  await admin.query(`DROP ROLE IF EXISTS "${appRole}"`);
  await admin.end();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

/** HAProxy's view: `backend/server` (`gateway/b`) → its state. */
type States = Record<string, ServerState>;

/** Waits until `condition` holds of HAProxy's server states, and returns them; on timeout, the message shows the last ones seen. */
async function untilHaproxy(what: string, condition: (states: States) => boolean, timeoutMs = 30_000): Promise<States> {
  let last: States = {};
  try {
    await waitUntil(async () => condition((last = await haproxy.serverStates())), { timeoutMs, intervalMs: 50, what });
  } catch (error) {
    const seen = Object.entries(last).map(([server, { status, sessions }]) => `${server} ${status} ${sessions} requests`);
    throw new Error(`${(error as Error).message}; HAProxy last saw: ${seen.join(', ')}`, { cause: error });
  }
  return last;
}

/** Waits until HAProxy sees every replica of every tier up. */
async function allUp() {
  await untilHaproxy('every replica UP in HAProxy', (states) => Object.values(states).every((state) => state.status === 'UP'));
}

/** Waits until HAProxy's health checks have marked each of `servers` (`backend/server`) `status`. */
async function marked(status: 'UP' | 'DOWN', servers: string[]) {
  await untilHaproxy(`${servers.join(', ')} ${status} in HAProxy`, (states) =>
    servers.every((server) => states[server]?.status === status),
  );
}

/** Waits until HAProxy has given each of `servers` (`backend/server`) a request since it showed `since`; returns its states then. */
async function servedSince(since: States, servers: string[]): Promise<States> {
  return untilHaproxy(`HAProxy to give ${servers.join(', ')} a request`, (states) =>
    servers.every((server) => (states[server]?.sessions ?? 0) > (since[server]?.sessions ?? Infinity)),
  );
}

/** Storefront queries from `clients` loops through HAProxy while `work` runs; every answer that is not a full 200 is a failure. */
async function underLoad(work: () => Promise<void>, clients = 8): Promise<{ ok: number; failures: string[] }> {
  let stop = false;
  let ok = 0;
  const failures: string[] = [];
  const loop = async () => {
    while (!stop) {
      try {
        const { status, body } = await post(ports.gateway.front, { query: STOREFRONT });
        if (status === 200 && !body.errors && body.data?.topProducts?.length === 3) ok += 1;
        else failures.push(`${status} ${JSON.stringify(body).slice(0, 300)}`);
      } catch (error) {
        failures.push(String(error));
      }
    }
  };
  const loops = Array.from({ length: clients }, loop);
  try {
    await work();
  } finally {
    stop = true;
    await Promise.all(loops);
  }
  return { ok, failures };
}

describe('migrations', () => {
  it('a replica that only verifies refuses to start before the migrations, and starts once another replica applied them', () => {
    for (const { code, logs } of refusedBeforeMigrations) {
      expect(code).toBe(1);
      expect(logs).toMatch(/DATABASE_MIGRATIONS=verify: \d+ migration\(s\) of the \w+ database not applied yet/);
    }
    for (const tier of SUBGRAPHS) expect(replicas[tier].b.child.exitCode).toBeNull();
  });
});

describe('PgBouncer in transaction mode', () => {
  it('carries every statement of the subgraphs, reads and an interactive-transaction write alike, with named statements off', async () => {
    const read = await post<{ users: { edges: Array<{ node: { id: string } }> }; topProducts: Array<{ id: string }> }>(
      ports.gateway.front,
      {
        query: '{ users(first: 1) { edges { node { id } } } topProducts(first: 1) { id } }',
      },
    );
    expect(read.body.errors).toBeUndefined();
    const { users, topProducts } = read.body.data!;
    const author = users.edges[0]!.node.id;
    const product = topProducts[0]!.id;
    const token = await testToken({ sub: author });
    const create = {
      query: 'mutation ($input: CreateReviewInput!) { createReview(input: $input) { rating author { id } } }',
      variables: { input: { productId: product, rating: 4, body: 'Through PgBouncer' } },
    };
    const headers = { authorization: `Bearer ${token}`, 'idempotency-key': `scale-out-${randomBytes(4).toString('hex')}` };
    const first = await post(ports.gateway.front, create, headers);
    expect(first.body).toEqual({ data: { createReview: { rating: 4, author: { id: author } } } });
    // The same key again, through the other gateway: the stored answer, nothing written twice.
    expect((await post(ports.gateway.b, create, headers)).body).toEqual(first.body);
    const stats = new pg.Client(`postgres://${appRole}@127.0.0.1:${ports.pgbouncer.front}/pgbouncer`);
    await stats.connect();
    try {
      const rows = (await stats.query('SHOW STATS')).rows as Array<{ database: string; total_xact_count: string }>;
      for (const name of SUBGRAPHS) {
        const database = new URL(dbs.byName[name].url).pathname.slice(1);
        expect(Number(rows.find((row) => row.database === database)?.total_xact_count), name).toBeGreaterThan(0);
      }
    } finally {
      await stats.end();
    }
  });
});

describe('shared state in Redis', () => {
  it('an automatic persisted query registered through one gateway is found by the other', async () => {
    const query = `{ topProducts(first: 2) { name } } # ${randomBytes(4).toString('hex')}`;
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const extensions = { persistedQuery: { version: 1, sha256Hash } };
    const code = (body: { errors?: Array<{ extensions?: { code?: string } }> }) => body.errors?.[0]?.extensions?.code;
    expect(code((await post(ports.gateway.b, { extensions })).body)).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await post(ports.gateway.a, { query, extensions })).body.data?.topProducts).toHaveLength(2);
    expect((await post(ports.gateway.b, { extensions })).body.data?.topProducts).toHaveLength(2);
  });

  it('a trusted-documents manifest published once is served by every gateway', async () => {
    const id = `scale-out-${randomBytes(4).toString('hex')}`;
    const manifest = join(dir, 'manifest.json');
    await writeFile(
      manifest,
      JSON.stringify({
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: [{ id, name: 'Top', type: 'query', body: '{ topProducts(first: 1) { name } }' }],
      }),
    );
    await promisify(execFile)(resolve(root, 'node_modules/.bin/tsx'), ['gateway/src/cli/publish-manifest.ts', manifest], {
      cwd: root,
      env: { ...process.env, REDIS_URL: requireEnv('TEST_REDIS_URL'), REDIS_KEY_PREFIX: redisPrefix },
    });
    const extensions = { persistedQuery: { version: 1, sha256Hash: id } };
    for (const replica of REPLICAS) {
      await waitUntil(async () => (await post(ports.gateway[replica], { extensions })).body.data?.topProducts?.length === 1, {
        timeoutMs: 10_000,
        intervalMs: 200,
        what: `gateway ${replica} to serve the manifest`,
      });
    }
  });
});

describe('replicas come and go under load', () => {
  it('killing one replica of each tier loses no request, and the killed replicas rejoin', async () => {
    const killed = TIERS.map((tier) => `${tier}/b`);
    let rejoined: States = {};
    const before = await haproxy.serverStates();
    const { ok, failures } = await underLoad(async () => {
      // Killed while the load reaches them: every replica about to die is being given requests.
      await servedSince(before, killed);
      await Promise.all(TIERS.map((tier) => replicas[tier].b.stop('SIGKILL')));
      // The load goes on until HAProxy's checks have noticed: until then, requests still find the dead replicas.
      await marked('DOWN', killed);
      await Promise.all(SUBGRAPHS.map(async (tier) => (replicas[tier].b = await start(tier, 'b'))));
      replicas.gateway.b = await start('gateway', 'b');
      await allUp();
      rejoined = await haproxy.serverStates();
      // And until each restarted replica has been given requests again.
      await servedSince(rejoined, killed);
    });
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(50);
    // Back in rotation: each restarted replica was given requests after it came back.
    const served = await haproxy.serverStates();
    for (const tier of TIERS)
      expect(served[`${tier}/b`]!.sessions, `${tier} b served again`).toBeGreaterThan(rejoined[`${tier}/b`]!.sessions);
  }, 180_000);

  it('a rolling restart of the gateways fails no request', async () => {
    const gateways = REPLICAS.map((replica) => `gateway/${replica}`);
    const { ok, failures } = await underLoad(async () => {
      for (const replica of REPLICAS) {
        // Stopped while both gateways take the load (the one restarted before included).
        await servedSince(await haproxy.serverStates(), gateways);
        expect(await replicas.gateway[replica].stop('SIGTERM')).toBe(0);
        replicas.gateway[replica] = await start('gateway', replica);
        await allUp();
      }
      // And the load goes on until both restarted gateways have been given requests.
      await servedSince(await haproxy.serverStates(), gateways);
    });
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(50);
  }, 180_000);
});
