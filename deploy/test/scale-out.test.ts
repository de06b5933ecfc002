/**
 * Scale-out with the real parts, on this machine: HAProxy in front of two gateways and of two
 * replicas of each subgraph, PgBouncer in transaction mode in front of PostgreSQL, one Redis
 * (the test servers). Replicas are killed, restarted and rolled under load; shared state
 * (persisted queries, the trusted-documents manifest, migrations) is seen by every replica.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { requireEnv, testToken, waitUntil } from '@tessera/test-helpers';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplica } from '../verification/scale-out.js';
import { graphqlUrl as url, REPLICAS, startCluster, SUBGRAPHS, TIERS, type Cluster, type States } from './support/cluster.js';

const root = resolve(import.meta.dirname, '../..');
const STOREFRONT = '{ topProducts(first: 3) { name reviews(first: 2) { edges { node { rating author { username } } } } } }';

let cluster: Cluster;
let refusedBeforeMigrations: Array<{ code: number | null; logs: string }>;

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

beforeAll(async () => {
  cluster = await startCluster({
    prefix: 'scaleout',
    // The cache off: every storefront request must reach every tier, or a restarted replica has nothing to serve.
    gatewayEnv: { CACHE_MODE: 'off', PERSISTED_QUERIES_MODE: 'allow', PQ_MANIFEST_REFRESH_MS: '500' },
    // Before any migration: a replica that only verifies refuses to start.
    async beforeReplicas({ env, ports }) {
      refusedBeforeMigrations = await Promise.all(
        SUBGRAPHS.map(async (tier) => {
          const early = await startReplica(tier, env[tier].b, ports[tier].b, { ready: false });
          const code = await new Promise<number | null>((done) => early.child.once('exit', (exitCode) => done(exitCode)));
          return { code, logs: early.logs() };
        }),
      );
    },
  });
}, 300_000);

afterAll(() => cluster?.stop(), 60_000);

/** Storefront queries from `clients` loops through HAProxy while `work` runs; every answer that is not a full 200 is a failure. */
async function underLoad(work: () => Promise<void>, clients = 8): Promise<{ ok: number; failures: string[] }> {
  let stop = false;
  let ok = 0;
  const failures: string[] = [];
  const loop = async () => {
    while (!stop) {
      try {
        const { status, body } = await post(cluster.ports.gateway.front, { query: STOREFRONT });
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
    for (const tier of SUBGRAPHS) expect(cluster.replicas[tier].b.child.exitCode).toBeNull();
  });
});

describe('PgBouncer in transaction mode', () => {
  it('carries every statement of the subgraphs, reads and an interactive-transaction write alike, with named statements off', async () => {
    const read = await post<{ users: { edges: Array<{ node: { id: string } }> }; topProducts: Array<{ id: string }> }>(
      cluster.ports.gateway.front,
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
    const first = await post(cluster.ports.gateway.front, create, headers);
    expect(first.body).toEqual({ data: { createReview: { rating: 4, author: { id: author } } } });
    // The same key again, through the other gateway: the stored answer, nothing written twice.
    expect((await post(cluster.ports.gateway.b, create, headers)).body).toEqual(first.body);
    const stats = new pg.Client(`postgres://${cluster.appRole}@127.0.0.1:${cluster.ports.pgbouncer.front}/pgbouncer`);
    await stats.connect();
    try {
      const rows = (await stats.query('SHOW STATS')).rows as Array<{ database: string; total_xact_count: string }>;
      for (const name of SUBGRAPHS) {
        const database = new URL(cluster.dbs.byName[name].url).pathname.slice(1);
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
    expect(code((await post(cluster.ports.gateway.b, { extensions })).body)).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await post(cluster.ports.gateway.a, { query, extensions })).body.data?.topProducts).toHaveLength(2);
    expect((await post(cluster.ports.gateway.b, { extensions })).body.data?.topProducts).toHaveLength(2);
  });

  it('a trusted-documents manifest published once is served by every gateway', async () => {
    const id = `scale-out-${randomBytes(4).toString('hex')}`;
    const manifest = join(cluster.dir, 'manifest.json');
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
      env: { ...process.env, REDIS_URL: requireEnv('TEST_REDIS_URL'), REDIS_KEY_PREFIX: cluster.redisPrefix },
    });
    const extensions = { persistedQuery: { version: 1, sha256Hash: id } };
    for (const replica of REPLICAS) {
      await waitUntil(async () => (await post(cluster.ports.gateway[replica], { extensions })).body.data?.topProducts?.length === 1, {
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
    const before = await cluster.haproxy.serverStates();
    const { ok, failures } = await underLoad(async () => {
      // Killed while the load reaches them: every replica about to die is being given requests.
      await cluster.servedSince(before, killed);
      await Promise.all(TIERS.map((tier) => cluster.replicas[tier].b.stop('SIGKILL')));
      // The load goes on until HAProxy's checks have noticed: until then, requests still find the dead replicas.
      await cluster.marked('DOWN', killed);
      await Promise.all(SUBGRAPHS.map(async (tier) => (cluster.replicas[tier].b = await cluster.start(tier, 'b'))));
      cluster.replicas.gateway.b = await cluster.start('gateway', 'b');
      await cluster.allUp();
      rejoined = await cluster.haproxy.serverStates();
      // And until each restarted replica has been given requests again.
      await cluster.servedSince(rejoined, killed);
    });
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(50);
    // Back in rotation: each restarted replica was given requests after it came back.
    const served = await cluster.haproxy.serverStates();
    for (const tier of TIERS)
      expect(served[`${tier}/b`]!.sessions, `${tier} b served again`).toBeGreaterThan(rejoined[`${tier}/b`]!.sessions);
  }, 180_000);

  it('a rolling restart of the gateways fails no request', async () => {
    const gateways = REPLICAS.map((replica) => `gateway/${replica}`);
    const { ok, failures } = await underLoad(async () => {
      for (const replica of REPLICAS) {
        // Stopped while both gateways take the load (the one restarted before included).
        await cluster.servedSince(await cluster.haproxy.serverStates(), gateways);
        expect(await cluster.replicas.gateway[replica].stop('SIGTERM')).toBe(0);
        cluster.replicas.gateway[replica] = await cluster.start('gateway', replica);
        await cluster.allUp();
      }
      // And the load goes on until both restarted gateways have been given requests.
      await cluster.servedSince(await cluster.haproxy.serverStates(), gateways);
    });
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(50);
  }, 180_000);
});
