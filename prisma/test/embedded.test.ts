import { describe, expect, it } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { openDatabase } from '@tessera/prisma';
import { pgliteMigrationAdapter } from '../src/adapters.ts';
import { describeDatabaseContract } from './database-checks.ts';
import { describeMigrationScripts } from './migration-script-checks.ts';
import { committedMigrations } from './committed-migrations.ts';

describe('embedded PGlite in memory', { timeout: 30_000 }, () => {
  describeDatabaseContract((name) => openDatabase({ name, dataDir: 'memory://' }));

  describeMigrationScripts(async () => {
    const db = await PGlite.create('memory://');
    return {
      adapter: pgliteMigrationAdapter(db),
      rows: async (sql) => (await db.query<Record<string, unknown>>(sql)).rows,
      close: () => db.close(),
    };
  });

  it('gives every memory:// caller its own database', async () => {
    const first = await openDatabase({ name: 'users', dataDir: 'memory://' });
    const second = await openDatabase({ name: 'users', dataDir: 'memory://' });
    try {
      expect(first.kind).toBe('embedded');
      expect(await first.migrate()).toEqual(committedMigrations('users'));
      expect(await second.migrate()).toEqual(committedMigrations('users'));
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('runs concurrent migrate() calls one after the other', async () => {
    const database = await openDatabase({ name: 'reviews', dataDir: 'memory://' });
    try {
      const results = await Promise.all([database.migrate(), database.migrate()]);
      expect(results.flat()).toEqual(committedMigrations('reviews'));
    } finally {
      await database.close();
    }
  });

  it('may be closed twice; ping() fails after close', async () => {
    const database = await openDatabase({ name: 'users', dataDir: 'memory://' });
    await database.close();
    await database.close();
    await expect(database.ping()).rejects.toThrow();
  });

  it('rejects an unknown database name, naming it', async () => {
    await expect(openDatabase({ name: 'orders' as never, dataDir: 'memory://' })).rejects.toThrow(/Unknown database "orders"/);
  });
});
