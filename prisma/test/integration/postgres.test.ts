import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MigrationError, openDatabase } from '@tessera/prisma';
import { postgresMigrationAdapter } from '../../src/adapters.ts';
import { databaseFiles } from '../../src/database-files.ts';
import { createSchemaEngine } from '../../src/engine.ts';
import { readMigrationsList } from '../../src/migrations-list.ts';
import { CharAsTextClient } from '../../src/pg-client.ts';
import { describeDatabaseContract } from '../database-checks.ts';
import { describeMigrationScripts } from '../migration-script-checks.ts';
import { committedMigrations } from '../committed-migrations.ts';

/**
 * Runs against a throw-away PostgreSQL server: TEST_POSTGRES_URL is an admin URL
 * (postgres://postgres@127.0.0.1:PORT/postgres). `pnpm test` starts one and sets it.
 * Every database created here has a random name and is dropped at the end.
 */
const adminUrl = process.env.TEST_POSTGRES_URL;

if (!adminUrl) {
  // Never skipped: a run without the server fails here and says how to provide one.
  it('has a PostgreSQL server to test against', () => {
    expect.fail('TEST_POSTGRES_URL is not set: run `pnpm test` (it starts PostgreSQL), or `pnpm services:up` first');
  });
} else {
  describe('PostgreSQL', { timeout: 30_000 }, () => {
    const admin = new pg.Client(adminUrl);
    const created: string[] = [];

    /** A new empty database on the test server; its URL. */
    async function freshDatabaseUrl(): Promise<string> {
      const name = `tessera_prisma_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      await admin.query(`CREATE DATABASE "${name}"`);
      created.push(name);
      const url = new URL(adminUrl!);
      url.pathname = `/${name}`;
      return url.href;
    }

    beforeAll(async () => {
      await admin.connect();
    });
    afterAll(async () => {
      for (const name of created) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    });

    describeDatabaseContract(async (name) => openDatabase({ name, url: await freshDatabaseUrl(), poolSize: 2 }));

    it('migrates over migrationUrl (the server itself), never through the pool of url (a pooler)', async () => {
      const direct = await freshDatabaseUrl();
      // Nothing listens on port 1: any migration statement sent through `url` would fail.
      const unreachable = Object.assign(new URL(direct), { port: '1' }).href;
      const database = await openDatabase({ name: 'users', url: unreachable, migrationUrl: direct, poolSize: 1, acquireTimeoutMs: 500 });
      try {
        expect(await database.pendingMigrations()).toEqual(committedMigrations('users'));
        expect(await database.migrate()).toEqual(committedMigrations('users'));
        expect(await database.pendingMigrations()).toEqual([]);
        await expect(database.ping()).rejects.toThrow();
      } finally {
        await database.close();
      }
    });

    it('lets only one of two concurrent migrate() calls apply (advisory lock)', async () => {
      const url = await freshDatabaseUrl();
      const first = await openDatabase({ name: 'reviews', url, poolSize: 1 });
      const second = await openDatabase({ name: 'reviews', url, poolSize: 1 });
      try {
        const results = await Promise.all([first.migrate(), second.migrate()]);
        expect(results.flat()).toEqual(committedMigrations('reviews'));
        // The engine's own session lock must not outlive the migration on a pooled connection.
        const locks = await admin.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database
           WHERE l.locktype = 'advisory' AND d.datname = $1`,
          [new URL(url).pathname.slice(1)],
        );
        expect(locks.rows[0]?.n).toBe(0);
      } finally {
        await Promise.all([first.close(), second.close()]);
      }
    });

    it('refuses to migrate over an edited or a failed migration', async () => {
      const url = await freshDatabaseUrl();
      const database = await openDatabase({ name: 'users', url });
      const direct = new pg.Client(url);
      await direct.connect();
      try {
        const [applied] = await database.migrate();
        await direct.query(`UPDATE _prisma_migrations SET checksum = 'edited'`);
        await expect(database.migrate()).rejects.toMatchObject({ name: 'MigrationError', code: 'MIGRATION_EDITED', database: 'users' });
        await direct.query(`UPDATE _prisma_migrations SET finished_at = NULL`);
        const failed = database.migrate();
        await expect(failed).rejects.toBeInstanceOf(MigrationError);
        await expect(failed).rejects.toMatchObject({ code: 'MIGRATION_FAILED', message: expect.stringContaining(applied!) as unknown });
      } finally {
        await direct.end();
        await database.close();
      }
    });

    describeMigrationScripts(async () => {
      const url = await freshDatabaseUrl();
      const pool = new pg.Pool({ connectionString: url, max: 2, Client: CharAsTextClient });
      return {
        adapter: postgresMigrationAdapter(pool, url),
        rows: async (sql) => (await pool.query<Record<string, unknown>>(sql)).rows,
        close: () => pool.end(),
      };
    });

    it('replays migrations on a throw-away shadow database, then drops it', async () => {
      const url = await freshDatabaseUrl();
      const pool = new pg.Pool({ connectionString: url, max: 2, Client: CharAsTextClient });
      const { schemaPath, migrationsDir } = databaseFiles('users');
      const schema = { path: schemaPath, content: await readFile(schemaPath, 'utf8') };
      const engine = await createSchemaEngine({ adapter: postgresMigrationAdapter(pool, url), schema });
      try {
        const diff = await engine.diff({
          from: { tag: 'migrations', ...(await readMigrationsList(migrationsDir)) },
          to: { tag: 'schemaDatamodel', files: [schema] },
          script: true,
          exitCode: true,
          filters: { externalTables: [], externalEnums: [] },
        });
        expect(diff.exitCode).toBe(0);
        const shadows = await admin.query(`SELECT datname FROM pg_database WHERE datname LIKE 'prisma_shadow_%'`);
        expect(shadows.rows).toEqual([]);
        // The main database is untouched: the migrations ran on the shadow.
        expect((await pool.query(`SELECT to_regclass('users') AS users`)).rows).toEqual([{ users: null }]);
      } finally {
        engine.free();
        await pool.end();
      }
    });

    it('reads PostgreSQL\'s one-byte "char" type as text', async () => {
      const pool = new pg.Pool({ connectionString: adminUrl, max: 1, Client: CharAsTextClient });
      try {
        // pool.query hands the client a callback; a checked-out client returns a promise.
        const viaCallback = await pool.query(`SELECT 'p'::"char" AS contype`);
        expect(viaCallback.fields[0]!.dataTypeID).toBe(25);
        expect(viaCallback.rows).toEqual([{ contype: 'p' }]);
        const client = await pool.connect();
        const viaPromise = await client.query(`SELECT 'u'::"char" AS contype`).finally(() => client.release());
        expect(viaPromise.fields[0]!.dataTypeID).toBe(25);
      } finally {
        await pool.end();
      }
    });

    it('rejects ping() when the server cannot be reached', async () => {
      const database = await openDatabase({ name: 'users', url: 'postgres://postgres@127.0.0.1:1/none' });
      await expect(database.ping()).rejects.toThrow(/ECONNREFUSED/);
      await database.close();
    });
  });
}
