import { PrismaPGlite } from 'pglite-prisma-adapter';
import { pgliteMigrationAdapter } from './adapters.ts';
import type { DatabaseName } from './database-files.ts';
import type { Database } from './types.ts';
import { applyMigrations, pendingMigrations } from './migrate.ts';
import { acquirePGlite } from './shared-pglite.ts';

/**
 * An embedded PostgreSQL (PGlite, WASM) in `dataDir`, or in memory for `memory://`. The one
 * instance serves the Prisma client, migrations and `ping()`.
 */
export async function openEmbedded(name: DatabaseName, dataDir: string): Promise<Database> {
  const pglite = await acquirePGlite(dataDir);
  return {
    kind: 'embedded',
    adapter: new PrismaPGlite(pglite.db),
    // One PGlite is one database session, so the engine's advisory lock cannot keep two
    // migrate() calls of this process apart; the instance's queue does.
    migrate: () => pglite.exclusive(() => applyMigrations(name, pgliteMigrationAdapter(pglite.db))),
    pendingMigrations: () => pglite.exclusive(() => pendingMigrations(name, pgliteMigrationAdapter(pglite.db))),
    async ping() {
      await pglite.db.query('SELECT 1');
    },
    replicas: [],
    poolStats: () => undefined,
    close: () => pglite.release(),
  };
}
