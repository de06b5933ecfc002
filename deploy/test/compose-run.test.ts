/**
 * compose.yaml run for real under podman-compose wherever podman runs (CI included), with
 * deploy/compose/podman.yaml putting PostgreSQL, PgBouncer and Redis images built from Debian's
 * packages in place of the Docker Hub ones: `up` brings up the platform (the migration jobs exit
 * 0, the subgraphs start once their databases are migrated), the gateway answers a federated
 * query on the host port, and `down -v` leaves no container, volume or network behind.
 */
import { randomBytes } from 'node:crypto';
import { getFreePort, TEST_AUTH_ENV, waitUntil } from '@tessera/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podman, podmanWorks, run } from '../verification/podman.js';
import { askFederated } from './support/federated-query.js';

const project = `tessera-test-${randomBytes(3).toString('hex')}`;
const files = ['-f', 'compose.yaml', '-f', 'deploy/compose/podman.yaml'];
const label = `label=io.podman.compose.project=${project}`;

describe.runIf(podmanWorks())('compose.yaml under podman-compose', () => {
  let port: number;
  /** podman-compose with the secrets compose.yaml requires, for this project only. */
  const compose = async (args: string[], timeoutMs = 300_000) => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      POSTGRES_PASSWORD: randomBytes(12).toString('hex'),
      APP_DB_PASSWORD: randomBytes(12).toString('hex'),
      REPLICATION_DB_PASSWORD: randomBytes(12).toString('hex'),
      JWT_SECRET: TEST_AUTH_ENV.JWT_SECRET,
      JWT_ISSUER: TEST_AUTH_ENV.JWT_ISSUER,
      JWT_AUDIENCE: TEST_AUTH_ENV.JWT_AUDIENCE,
      SUBGRAPH_SIGNING_KEYS: TEST_AUTH_ENV.SUBGRAPH_SIGNING_KEYS,
      GATEWAY_HOST_PORT: String(port),
    });
    try {
      return await run('podman-compose', ['-p', project, ...files, ...args], { timeoutMs });
    } finally {
      process.env = saved;
    }
  };

  beforeAll(async () => {
    const built = await run(
      'bash',
      ['deploy/scripts/image-build.sh', 'gateway', 'users', 'products', 'reviews', 'postgres', 'pgbouncer', 'redis'],
      { timeoutMs: 25 * 60_000 },
    );
    expect(built.code, built.stderr + built.stdout).toBe(0);
    port = await getFreePort();
  }, 25 * 60_000);

  afterAll(async () => {
    await compose(['down', '-v']);
    await run('podman', ['network', 'prune', '--force', '--filter', label]);
  }, 120_000);

  it('up: migrations first, then the platform answers a federated query on the gateway’s host port', async () => {
    const up = await compose(['up', '-d']);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    let last: unknown;
    await waitUntil(
      async () => {
        const body = await askFederated(port).catch((error: unknown) => ({ error: String(error) }));
        last = body;
        return 'data' in body && body.errors === undefined && body.data?.topProducts?.length === 2;
      },
      { timeoutMs: 300_000, intervalMs: 2_000, what: 'the composed gateway to answer with data from every subgraph' },
    ).catch(async (error: unknown) => {
      const logs = await run('podman', ['ps', '-a', '--filter', label, '--format', '{{.Names}} {{.Status}}']);
      throw new Error(`${String(error)}\nlast answer: ${JSON.stringify(last)}\n${logs.stdout}`);
    });
    for (const job of ['users-migrate', 'products-migrate', 'reviews-migrate']) {
      expect((await podman(['inspect', '--format', '{{.State.ExitCode}}', `${project}_${job}_1`])).trim(), job).toBe('0');
    }
  }, 400_000);

  it('the replica streams from the primary and the subgraphs read on it', async () => {
    const onReplica = (database: string, sql: string) =>
      podman(['exec', `${project}_postgres-replica_1`, 'psql', '-U', 'tessera', '-d', database, '-tAc', sql]).then((out) => out.trim());
    expect(await onReplica('tessera', 'SELECT pg_is_in_recovery()')).toBe('t');
    // Table scans on the replica come from the subgraphs' reads only (their replay-position looks read no table).
    await waitUntil(
      async () => {
        await askFederated(port);
        const scans = await onReplica('products', 'SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0) FROM pg_stat_user_tables');
        return Number(scans) > 0;
      },
      { timeoutMs: 60_000, intervalMs: 1_000, what: "the products subgraph's reads on the replica" },
    );
  }, 90_000);

  it('down -v: no container or volume of the project is left; its network goes with the prune docs/deploying.md gives', async () => {
    const down = await compose(['down', '-v']);
    expect(down.code, down.stderr + down.stdout).toBe(0);
    expect((await podman(['ps', '-a', '--filter', label, '--format', '{{.Names}}'])).trim()).toBe('');
    expect((await podman(['volume', 'ls', '--filter', label, '--format', '{{.Name}}'])).trim()).toBe('');
    // podman-compose 1.0 leaves the network it made (Docker Compose and podman-compose 1.1+ remove it).
    await podman(['network', 'prune', '--force', '--filter', label]);
    expect((await podman(['network', 'ls', '--filter', label, '--format', '{{.Name}}'])).trim()).toBe('');
  }, 120_000);
});
