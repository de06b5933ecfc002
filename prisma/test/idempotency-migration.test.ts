/**
 * The migration to one idempotency key per operation keeps what was stored: each caller's key,
 * written before as one row per root field, becomes one row holding every field's response.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteMigrationAdapter } from '../src/adapters.ts';
import { applyMigrations } from '../src/migrate.ts';
import { DATABASE_NAMES } from '../src/database-files.ts';
import { committedMigrations } from './committed-migrations.ts';

describe.each(DATABASE_NAMES)('%s: idempotency_key_per_operation', (name) => {
  let dir: string;
  let db: PGlite;
  const migrations = committedMigrations(name);
  const fold = migrations.findIndex((migration) => migration.endsWith('_idempotency_key_per_operation'));
  const copy = (folders: string[]) =>
    Promise.all(
      folders.map((folder) => cp(new URL(`../${name}/migrations/${folder}`, import.meta.url), join(dir, folder), { recursive: true })),
    );

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-fold-'));
    await cp(new URL(`../${name}/migrations/migration_lock.toml`, import.meta.url), join(dir, 'migration_lock.toml'));
    await copy(migrations.slice(0, fold));
    db = await PGlite.create('memory://');
    await applyMigrations(name, pgliteMigrationAdapter(db), dir);
  }, 30_000);
  afterAll(async () => {
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('folds the rows of one key into one, with every field response under its path, and keeps keys apart', async () => {
    expect(fold).toBeGreaterThan(0);
    await db.exec(`
      INSERT INTO idempotency_keys (caller, key, path, fingerprint, response, created_at) VALUES
        ('u1', 'k1', 'a', 'f1', '{"value": {"id": "1"}}', '2026-12-01 10:00:00+00'),
        ('u1', 'k1', 'b', 'f1', '{"value": {"id": "2"}}', '2026-12-01 10:00:01+00'),
        ('u1', 'k2', 'a', 'f2', '{"value": null}', '2026-12-01 10:00:02+00'),
        ('u2', 'k1', 'a', 'f3', NULL, '2026-12-01 10:00:03+00')`);
    await copy(migrations.slice(fold, fold + 1));
    await applyMigrations(name, pgliteMigrationAdapter(db), dir);
    const rows = await db.query('SELECT caller, key, fingerprint, responses, created_at FROM idempotency_keys ORDER BY caller, key');
    expect(rows.rows).toEqual([
      {
        caller: 'u1',
        key: 'k1',
        fingerprint: 'f1',
        responses: { a: { id: '1' }, b: { id: '2' } },
        created_at: new Date('2026-12-01T10:00:00Z'),
      },
      { caller: 'u1', key: 'k2', fingerprint: 'f2', responses: { a: null }, created_at: new Date('2026-12-01T10:00:02Z') },
      { caller: 'u2', key: 'k1', fingerprint: 'f3', responses: {}, created_at: new Date('2026-12-01T10:00:03Z') },
    ]);
  });
});
