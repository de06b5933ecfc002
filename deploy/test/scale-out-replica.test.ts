/**
 * The scaled-out platform on a PostgreSQL streaming replica: HAProxy in front of two gateways
 * (caches off) and of two replicas of each subgraph, PgBouncer in transaction mode in front of a
 * primary and another in front of its streaming replica (a `pg_basebackup -R` pair of the test's
 * own). Every subgraph replica reads on the streaming replica; with its replay paused, a caller's
 * write made through HAProxy shows on that caller's next reads, whichever gateway and users
 * replica they reach, while another caller still reads the old value there; once replay resumes,
 * everyone sees it.
 */
import { randomUUID } from 'node:crypto';
import { metricSum, scrapeMetrics, sqlRows, testToken } from '@tessera/test-helpers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { graphqlUrl, REPLICAS, startCluster, SUBGRAPHS, type Cluster, type Replica, type Subgraph } from './support/cluster.js';

const STOREFRONT = '{ topProducts(first: 3) { name reviews(first: 2) { edges { node { rating author { username } } } } } }';
const NAME = 'query ($id: ID!) { user(id: $id) { name } }';
const RENAME = 'mutation ($id: ID!, $name: String!) { updateUser(id: $id, input: { name: $name }) { name } }';

let cluster: Cluster;
/** The caller who renames itself. */
let writer: { id: string; token: string };
/** Another caller, who reads the writer's name. */
let readerToken: string;

beforeAll(async () => {
  cluster = await startCluster({
    prefix: 'scaleout_replica',
    databaseReplica: true,
    // The caches off: every read reaches a subgraph, so what the replica holds shows.
    gatewayEnv: { CACHE_MODE: 'off' },
    // Replay paused, the replica falls behind: it must stay in rotation meanwhile.
    subgraphEnv: { DATABASE_REPLICA_MAX_LAG_MS: '60000' },
  });
  await replicaCaughtUp();
  const [first, second] = await sqlRows<{ id: string }>(cluster.dbs.byName.users.url, 'SELECT id FROM users ORDER BY id LIMIT 2');
  writer = { id: first!.id, token: await testToken({ sub: first!.id }) };
  readerToken = await testToken({ sub: second!.id });
}, 300_000);

afterAll(() => cluster?.stop(), 60_000);

/** Waits until the streaming replica has replayed all the primary has written (the migrations and seeds). */
async function replicaCaughtUp(): Promise<void> {
  const { primaryUrl, replicaUrl } = cluster.databaseReplica!.replication;
  const [written] = await sqlRows<{ lsn: string }>(primaryUrl, 'SELECT pg_current_wal_insert_lsn()::text AS lsn');
  await vi.waitFor(
    async () => {
      const [row] = await sqlRows<{ done: boolean }>(replicaUrl, 'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done', [written!.lsn]);
      expect(row!.done).toBe(true);
    },
    { timeout: 30_000, interval: 100 },
  );
}

/** A GraphQL request through HAProxy (the gateways' frontend). */
async function send<Data>(query: string, variables: Record<string, unknown> = {}, token?: string) {
  const response = await fetch(graphqlUrl(cluster.ports.gateway.front), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: Data | null; errors?: unknown[] };
}

/** The writer's name, as the caller of `token` reads it through HAProxy. */
const nameFor = async (token: string) => (await send<{ user: { name: string } | null }>(NAME, { id: writer.id }, token)).data?.user?.name;

/** Requests one subgraph replica routed with `labels` (`db_reads_total`: by target, and why the primary). */
const reads = async (subgraph: Subgraph, replica: Replica, labels: Record<string, string>) =>
  metricSum(await scrapeMetrics(cluster.subgraphMetricsPorts[subgraph][replica]), 'db_reads_total', labels);

/**
 * The writer's reads of its own name through HAProxy, each expected to show `renamed`, until both
 * gateways have served one and both users replicas have read one on the primary for the replica
 * being behind (at most 20 reads): which served them.
 */
async function writerReads(renamed: string): Promise<{ gateways: Replica[]; users: Replica[] }> {
  const gateways = new Set<Replica>();
  const users = new Set<Replica>();
  const behind = (replica: Replica) => reads('users', replica, { target: 'primary', reason: 'behind' });
  const behindBefore = { a: await behind('a'), b: await behind('b') };
  for (let read = 1; read <= 20 && (gateways.size < 2 || users.size < 2); read++) {
    const before = await cluster.haproxy.serverStates();
    expect(await nameFor(writer.token), `the writer's read ${read}`).toBe(renamed);
    const after = await cluster.haproxy.serverStates();
    for (const replica of REPLICAS) {
      if (after[`gateway/${replica}`]!.sessions > before[`gateway/${replica}`]!.sessions) gateways.add(replica);
      if ((await behind(replica)) > behindBefore[replica]) users.add(replica);
    }
  }
  return { gateways: [...gateways].sort(), users: [...users].sort() };
}

describe('a streaming replica behind the scaled-out subgraphs', () => {
  it('every replica of every subgraph reads on it', async () => {
    await vi.waitFor(
      async () => {
        const { data, errors } = await send<{ topProducts: unknown[] }>(STOREFRONT);
        expect(errors).toBeUndefined();
        expect(data?.topProducts).toHaveLength(3);
        for (const subgraph of SUBGRAPHS)
          for (const replica of REPLICAS)
            expect(await reads(subgraph, replica, { target: 'replica' }), `${subgraph}/${replica}`).toBeGreaterThan(0);
      },
      { timeout: 30_000, interval: 100 },
    );
  });

  it("with replay paused, a caller's write shows on its next reads through either gateway and users replica, not to another caller; after resume, to everyone", async () => {
    const { replication } = cluster.databaseReplica!;
    const before = await nameFor(readerToken);
    expect(before).toBeDefined();
    const renamed = `Renamed ${randomUUID().slice(0, 8)}`;
    await replication.pauseReplay();
    try {
      const written = await send(RENAME, { id: writer.id, name: renamed }, writer.token);
      expect(written, JSON.stringify(written.errors)).toEqual({ data: { updateUser: { name: renamed } } });
      // Through both gateways (the one that did not take the write learns its position from Redis), on both users replicas.
      expect(await writerReads(renamed)).toEqual({ gateways: ['a', 'b'], users: ['a', 'b'] });
      // Another caller reads the replica, which has not replayed the write: the old name, through either gateway.
      for (let read = 1; read <= 4; read++) expect(await nameFor(readerToken), `another caller's read ${read}`).toBe(before);
    } finally {
      await replication.resumeReplay();
    }
    await vi.waitFor(async () => expect(await nameFor(readerToken)).toBe(renamed), { timeout: 10_000, interval: 100 });
    for (let read = 1; read <= 4; read++) expect(await nameFor(readerToken), `another caller's read ${read} after resume`).toBe(renamed);
  });
});
