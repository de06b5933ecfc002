import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations } from '../src/migrate.ts';

/** A fresh database as the schema engine sees it, plus a way to look inside. */
export interface ScriptTarget {
  adapter: SqlMigrationAwareDriverAdapterFactory;
  rows(sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/**
 * Checks the migration-script fixes on one kind of database, with a migrations folder of its
 * own: scripts run whole (quoted ";" and $$ bodies survive), and a failing script is awaited,
 * rolled back, recorded as failed and reported — then blocks the next run.
 */
export function describeMigrationScripts(openTarget: () => Promise<ScriptTarget>): void {
  describe('migration scripts', () => {
    let migrationsDir: string;
    let target: ScriptTarget;
    beforeAll(async () => {
      migrationsDir = await mkdtemp(join(tmpdir(), 'tessera-migrations-'));
      await cp(new URL('../users/migrations/migration_lock.toml', import.meta.url), join(migrationsDir, 'migration_lock.toml'));
      await addMigration(
        '20200101000000_functions',
        `CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL DEFAULT 'a;b');
         CREATE FUNCTION one() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END; $$;
         INSERT INTO notes (id) VALUES (1);`,
      );
      await addMigration('20200101000001_broken', `CREATE TABLE extra (id int);\nINSERT INTO notes (id) VALUES (1);`);
      target = await openTarget();
    }, 30_000);
    afterAll(async () => {
      await target?.close();
      await rm(migrationsDir, { recursive: true, force: true });
    });

    async function addMigration(folder: string, sql: string): Promise<void> {
      await mkdir(join(migrationsDir, folder));
      await writeFile(join(migrationsDir, folder, 'migration.sql'), sql);
    }
    const apply = () => applyMigrations('users', target.adapter, migrationsDir);

    it('run whole; a failing one is rolled back, recorded and reported', async () => {
      await expect(apply()).rejects.toMatchObject({
        name: 'MigrationError',
        code: 'MIGRATION_SCRIPT_FAILED',
        message: expect.stringMatching(/20200101000001_broken failed: .*Unique constraint/s) as unknown,
      });
      expect(await target.rows(`SELECT (SELECT body FROM notes) AS body, one() AS one, to_regclass('extra') AS extra`)).toEqual([
        { body: 'a;b', one: 1, extra: null },
      ]);
      expect(await target.rows(`SELECT migration_name, finished_at IS NOT NULL AS done FROM _prisma_migrations ORDER BY 1`)).toEqual([
        { migration_name: '20200101000000_functions', done: true },
        { migration_name: '20200101000001_broken', done: false },
      ]);
    });

    it('refuses to go on until the failed migration is marked rolled back', async () => {
      await expect(apply()).rejects.toMatchObject({
        code: 'MIGRATION_FAILED',
        message: expect.stringContaining('20200101000001_broken') as unknown,
      });
      await writeFile(join(migrationsDir, '20200101000001_broken', 'migration.sql'), 'CREATE TABLE extra (id int);');
      await target.rows(`UPDATE _prisma_migrations SET rolled_back_at = now() WHERE finished_at IS NULL`);
      expect(await apply()).toEqual(['20200101000001_broken']);
    });
  });
}
