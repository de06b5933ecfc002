import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { databaseFiles, type DatabaseName } from './database-files.ts';
import { createSchemaEngine } from './engine.ts';
import { describeEngineError, MigrationError } from './errors.ts';
import { readMigrationsList } from './migrations-list.ts';

const NO_FILTERS = { externalTables: [], externalEnums: [] };

/**
 * Applies the database's committed migrations that are not applied yet, with the semantics of
 * `prisma migrate deploy` (the same engine code, WASM build): each pending migration runs in
 * order and is recorded in `_prisma_migrations`; nothing is applied twice.
 *
 * Refuses, before applying anything, when a migration is recorded as failed or an applied
 * migration was edited since — `migrate deploy` itself would carry on past the latter.
 * A migration that fails now is recorded as failed and reported; its script runs as one
 * simple-protocol query, so PostgreSQL rolls it back whole unless it commits on its own.
 * Later attempts refuse until someone marks it rolled back.
 *
 * @param migrationsDir where the migrations are; tests pass their own
 * @returns the names of the migrations applied by this call, oldest first
 */
export async function applyMigrations(
  name: DatabaseName,
  adapter: SqlMigrationAwareDriverAdapterFactory,
  migrationsDir = databaseFiles(name).migrationsDir,
): Promise<string[]> {
  return withHistory(name, adapter, migrationsDir, async ({ engine, migrationsList }) => {
    const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: NO_FILTERS });
    return appliedMigrationNames;
  });
}

/**
 * The committed migrations the database has not applied yet, oldest first, without applying
 * anything (for a service that leaves migrating to a job of its own). Refuses, as
 * {@link applyMigrations} does, when a migration is recorded as failed or was edited.
 */
export async function pendingMigrations(
  name: DatabaseName,
  adapter: SqlMigrationAwareDriverAdapterFactory,
  migrationsDir = databaseFiles(name).migrationsDir,
): Promise<string[]> {
  return withHistory(name, adapter, migrationsDir, async ({ history }) =>
    history.history && history.history.diagnostic !== 'migrationsDirectoryIsBehind' ? history.history.unappliedMigrationNames : [],
  );
}

type Engine = Awaited<ReturnType<typeof createSchemaEngine>>;
type History = Awaited<ReturnType<Engine['diagnoseMigrationHistory']>>;

/** Starts the schema engine, checks the history (failed or edited migrations refuse), runs `work`, frees the engine. */
async function withHistory<T>(
  name: DatabaseName,
  adapter: SqlMigrationAwareDriverAdapterFactory,
  migrationsDir: string,
  work: (session: { engine: Engine; migrationsList: Awaited<ReturnType<typeof readMigrationsList>>; history: History }) => Promise<T>,
): Promise<T> {
  const migrationsList = await readMigrationsList(migrationsDir);
  const engine = await createSchemaEngine({ adapter }).catch((error: unknown) => {
    throw new MigrationError('SCHEMA_ENGINE_ERROR', name, `cannot start the schema engine: ${describeEngineError(error).message}`, {
      cause: error,
    });
  });
  try {
    const history = await engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters: NO_FILTERS });
    const [failed] = history.failedMigrationNames;
    if (failed !== undefined) {
      throw new MigrationError(
        'MIGRATION_FAILED',
        name,
        `migration ${failed} failed earlier and is recorded as failed in _prisma_migrations. Undo whatever part of it ` +
          `took effect, then mark it rolled back (UPDATE _prisma_migrations SET rolled_back_at = now() WHERE ` +
          `migration_name = '${failed}' AND finished_at IS NULL) and start again: it will be retried.`,
      );
    }
    if (history.editedMigrationNames.length > 0) {
      throw new MigrationError(
        'MIGRATION_EDITED',
        name,
        `migration ${history.editedMigrationNames.join(', ')} was edited after it was applied (checksum mismatch). ` +
          'Restore the committed migration.sql and put the change in a new migration (pnpm db:migration:create).',
      );
    }
    return await work({ engine, migrationsList, history });
  } catch (error) {
    if (error instanceof MigrationError) throw error;
    const { message, migrationName } = describeEngineError(error);
    if (migrationName === undefined) throw new MigrationError('SCHEMA_ENGINE_ERROR', name, message, { cause: error });
    throw new MigrationError('MIGRATION_SCRIPT_FAILED', name, `migration ${migrationName} failed: ${message}`, {
      cause: error,
    });
  } finally {
    engine.free();
  }
}
