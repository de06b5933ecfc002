/**
 * The test servers themselves, as scripts/test-services provides them: a PostgreSQL
 * with pg_stat_statements and room for many connections, and a Redis the tests can stop
 * and start again.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, pingRedis, requireEnv, sqlRows as query, startRedis, stopRedis, type TestDatabase } from '../src/index.js';

describe('PostgreSQL', () => {
  const adminUrl = requireEnv('TEST_POSTGRES_URL');
  let database: TestDatabase | undefined;
  afterAll(() => database?.drop());

  it('is a PostgreSQL server configured for the tests', async () => {
    const [row] = await query<{ version: string; max_connections: string; preload: string }>(
      adminUrl,
      `SELECT version(), current_setting('max_connections') AS max_connections,
              current_setting('shared_preload_libraries') AS preload`,
    );
    expect(row!.version).toMatch(/^PostgreSQL \d+/);
    expect(Number(row!.max_connections)).toBeGreaterThanOrEqual(200);
    expect(row!.preload).toContain('pg_stat_statements');
  });

  it('creates a database of its own where pg_stat_statements counts statements', async () => {
    database = await createTestDatabase('services_smoke');
    expect(database.name).toMatch(/^services_smoke_[0-9a-f]{12}$/);
    expect(new URL(database.url).pathname).toBe(`/${database.name}`);

    await query(database.url, 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await query(database.url, 'SELECT 42 AS services_smoke_marker');
    const counted = await query<{ calls: string }>(
      database.url,
      `SELECT calls FROM pg_stat_statements WHERE query LIKE '%services_smoke_marker%'
         AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    expect(counted.map((row) => Number(row.calls))).toEqual([1]);
  });

  it('drops the database again', async () => {
    const { name } = database!;
    await database!.drop();
    await database!.drop(); // repeatable
    const left = await query(adminUrl, `SELECT 1 FROM pg_database WHERE datname = '${name}'`);
    expect(left).toEqual([]);
    database = undefined;
  });
});

describe('Redis', () => {
  const url = requireEnv('TEST_REDIS_URL');
  afterAll(() => startRedis());

  it('answers PING', async () => {
    expect(await pingRedis(url)).toBe('PONG');
  });

  it('stops and starts again on the same URL', async () => {
    await stopRedis();
    await expect(pingRedis(url)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await stopRedis(); // already stopped: no-op

    await startRedis();
    expect(await pingRedis(url)).toBe('PONG');
  });

  it('comes back after a crash (SIGKILL)', async () => {
    await stopRedis({ signal: 'SIGKILL' });
    await expect(pingRedis(url)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await startRedis();
    expect(await pingRedis(url)).toBe('PONG');
  });
});
