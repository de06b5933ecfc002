/**
 * compose.yaml without a container engine: its images are the Dockerfile's targets, every
 * service's environment is one its configuration accepts (each service's own config loader,
 * as at start-up), migrations run as jobs before the subgraphs, and the PostgreSQL roles and
 * grants it installs (deploy/postgres/*.sql) do what they say on a real PostgreSQL server.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig as loadGatewayConfig } from '@tessera/gateway';
import { loadSubgraphConfig } from '@tessera/subgraph-kit';
import { createTestDatabase, requireEnv, type TestDatabase } from '@tessera/test-helpers';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { imageEnv as stageEnv, readStages } from '../verification/image-rehearsal.js';

const root = resolve(import.meta.dirname, '../..');
const SUBGRAPHS = [
  { name: 'users', port: 4001 },
  { name: 'products', port: 4002 },
  { name: 'reviews', port: 4003 },
] as const;

interface ComposeService {
  build?: { context: string; target: string };
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  read_only?: boolean;
  cap_drop?: string[];
}
const compose = parse(readFileSync(join(root, 'compose.yaml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
const stages = readStages(readFileSync(join(root, 'Dockerfile'), 'utf8'));
/** The image's own ENV (the Dockerfile target's stages), under compose's environment. */
const imageEnv = (target: string) => stageEnv(stages, target);

/** A service's environment as compose would pass it, `${NAME…}` filled with a stand-in value of the right form. */
function environmentOf(service: string): Record<string, string> {
  const env = compose.services[service]?.environment ?? {};
  const standIns: Record<string, string> = {
    SUBGRAPH_SIGNING_KEYS: `k1:${'s'.repeat(40)}`,
    JWT_SECRET: 'j'.repeat(40),
    SEED_ON_EMPTY: 'true',
    PERSISTED_QUERIES_MODE: 'off',
  };
  return Object.fromEntries(
    Object.entries(env).map(([name, value]) => [
      name,
      String(value).replace(/\$\{(\w+)[^}]*\}/g, (_, variable: string) => standIns[variable] ?? `stand-in-${variable.toLowerCase()}`),
    ]),
  );
}

describe('compose.yaml', () => {
  it('builds every image from a target of the Dockerfile, one image name per target', () => {
    const targets = new Map<string, string>();
    for (const [name, service] of Object.entries(compose.services).filter(([, s]) => s.build)) {
      expect(
        stages.map((s) => s.name),
        name,
      ).toContain(service.build!.target);
      expect(service.build!.context).toBe('.');
      const known = targets.get(service.image!);
      if (known) expect(known, `${service.image} built from two targets`).toBe(service.build!.target);
      targets.set(service.image!, service.build!.target);
    }
    expect([...targets.values()].sort()).toEqual(['gateway', 'products', 'reviews', 'users']);
  });

  it.each(SUBGRAPHS)(
    '$name: its environment is one its configuration accepts — through PgBouncer, migrations direct, verifying them at start',
    ({ name, port }) => {
      const config = loadSubgraphConfig({ name, defaultPort: port }, { ...imageEnv(name), ...environmentOf(name) });
      expect(new URL(config.database.url!).host).toBe('pgbouncer:6432');
      // The history, read as the services' role; only the migration job is the owner.
      expect(new URL(config.database.migrationUrl!)).toMatchObject({ host: 'postgres:5432', username: 'tessera_app' });
      expect(new URL(config.database.url!).username).toBe('tessera_app');
      // Reads on the streaming replica, the same database there, as the same role.
      expect(config.database.replicaUrls.map((url) => new URL(url))).toMatchObject([
        { host: 'postgres-replica:5432', pathname: `/${name}`, username: 'tessera_app' },
      ]);
      expect(config.database).toMatchObject({ migrations: 'verify', preparedStatements: false, statementTimeoutMs: 0 });
      expect(config.port).toBe(port);
      expect(config.host).toBe('0.0.0.0');
    },
  );

  it.each(SUBGRAPHS)('$name: a migration job on the same image runs first, and the subgraph waits for it to succeed', ({ name }) => {
    const job = compose.services[`${name}-migrate`]!;
    expect(job.command).toEqual(['migrate']);
    expect(job.image).toBe(compose.services[name]!.image);
    expect(compose.services[name]!.depends_on?.[`${name}-migrate`]).toEqual({ condition: 'service_completed_successfully' });
    const config = loadSubgraphConfig({ name, defaultPort: 0 }, { ...imageEnv(name), ...environmentOf(`${name}-migrate`) });
    expect(new URL(config.database.migrationUrl!)).toMatchObject({ host: 'postgres:5432', username: 'tessera' });
  });

  it("gateway: its environment is one its configuration accepts, routed to the subgraphs' services, with Redis", () => {
    const config = loadGatewayConfig({ ...imageEnv('gateway'), ...environmentOf('gateway') });
    expect(config).toMatchObject({ port: 4000, host: '0.0.0.0' });
    expect(environmentOf('gateway')).toMatchObject({
      SUBGRAPH_USERS_URL: 'http://users:4001/graphql',
      SUBGRAPH_PRODUCTS_URL: 'http://products:4002/graphql',
      SUBGRAPH_REVIEWS_URL: 'http://reviews:4003/graphql',
      REDIS_URL: 'redis://redis:6379',
    });
    for (const dependency of ['redis', 'users', 'products', 'reviews'])
      expect(compose.services.gateway!.depends_on?.[dependency]).toEqual({ condition: 'service_healthy' });
  });

  it('runs a streaming replica of PostgreSQL on the same image, with a volume of its own, made by the replication role the primary creates', () => {
    const { postgres, 'postgres-replica': replica } = compose.services as Record<string, ComposeService & { volumes?: string[] }>;
    expect(replica!.image).toBe(postgres!.image);
    expect(replica!.volumes?.[0]).toMatch(/^postgres-replica-data:/);
    expect(replica!.depends_on?.postgres).toEqual({ condition: 'service_healthy' });
    const script = readFileSync(join(root, 'deploy/compose/postgres-replica.sh'), 'utf8');
    expect(script).toMatch(/pg_basebackup --host=postgres --username=tessera_replication [^;]*--write-recovery-conf/);
    const init = readFileSync(join(root, 'deploy/compose/postgres-init.sh'), 'utf8');
    expect(init).toMatch(/CREATE ROLE tessera_replication WITH REPLICATION LOGIN/);
    expect(init).toMatch(/host replication tessera_replication all scram-sha-256/);
  });

  it('runs the services on a read-only filesystem, without capabilities', () => {
    for (const name of ['gateway', 'users', 'products', 'reviews'])
      expect(compose.services[name]).toMatchObject({ read_only: true, cap_drop: ['ALL'] });
  });

  it('refuses to start without each secret, never falling back to a default', () => {
    const text = readFileSync(join(root, 'compose.yaml'), 'utf8');
    for (const secret of ['POSTGRES_PASSWORD', 'APP_DB_PASSWORD', 'REPLICATION_DB_PASSWORD', 'JWT_SECRET', 'SUBGRAPH_SIGNING_KEYS']) {
      expect(text).toMatch(new RegExp(`\\$\\{${secret}:\\?`));
      expect(text).not.toMatch(new RegExp(`\\$\\{${secret}:-`));
    }
  });
});

describe("the services' PostgreSQL role (deploy/postgres/*.sql), on a real server", () => {
  const role = `tessera_app_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  let database: TestDatabase;
  const asRole = () => {
    const url = new URL(database.url);
    url.username = role;
    url.password = password;
    return url.href;
  };
  const psql = (url: string, file: string) =>
    execFileSync(
      'psql',
      [
        '-X',
        '-q',
        '-v',
        'ON_ERROR_STOP=1',
        '-v',
        `app_role=${role}`,
        '-v',
        `app_password=${password}`,
        '-d',
        url,
        '-f',
        join(root, 'deploy/postgres', file),
      ],
      { encoding: 'utf8' },
    );

  beforeAll(async () => {
    database = await createTestDatabase('approle');
    psql(requireEnv('TEST_POSTGRES_URL'), 'app-role.sql');
    psql(database.url, 'app-grants.sql');
  });
  afterAll(async () => {
    await database?.drop();
    const admin = new pg.Client(requireEnv('TEST_POSTGRES_URL'));
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS "${role}"`);
    await admin.end();
  });

  const query = async (url: string, text: string) => {
    const client = new pg.Client(url);
    await client.connect();
    try {
      return (await client.query(text)).rows as Array<Record<string, unknown>>;
    } finally {
      await client.end();
    }
  };

  it('reads and writes rows of tables the owner creates later (migrations), with a 5 s statement timeout of its own', async () => {
    await query(database.url, 'CREATE TABLE later (id serial PRIMARY KEY, name text)');
    await query(asRole(), "INSERT INTO later (name) VALUES ('a')");
    expect(await query(asRole(), 'SELECT name FROM later')).toEqual([{ name: 'a' }]);
    expect(await query(asRole(), 'SHOW statement_timeout')).toEqual([{ statement_timeout: '5s' }]);
  });

  it('cannot change the schema: only the owner migrates', async () => {
    await expect(query(asRole(), 'CREATE TABLE mine (id int)')).rejects.toThrow(/permission denied/);
    await expect(query(asRole(), 'DROP TABLE later')).rejects.toThrow(/must be owner/);
  });
});
