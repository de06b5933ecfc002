import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pgliteMigrationAdapter } from './adapters.ts';
import { databaseFiles, type DatabaseName } from './database-files.ts';
import { createSchemaEngine } from './engine.ts';
import { describeEngineError, MigrationError } from './errors.ts';
import { LOCKFILE_CONTENT, LOCKFILE_NAME, readMigrationsList } from './migrations-list.ts';

/** Options of `createMigration`. */
export interface CreateMigrationOptions {
  /** The database whose `schema.prisma` and `migrations/` are compared. */
  name: DatabaseName;
  /** Label of the new migration, in snake_case (`add_user_bio`); the folder is `<timestamp>_<label>`. */
  label: string;
  /**
   * Time of the folder's timestamp (UTC, YYYYMMDDHHMMSS as Prisma writes it).
   * @default new Date()
   */
  now?: Date;
}

/** A migration written by `createMigration`. */
export interface CreatedMigration {
  /** Folder name, e.g. `20250101120000_init`. */
  migrationName: string;
  /** Absolute path of the new `migration.sql`. */
  path: string;
  /** Its content. */
  script: string;
}

/**
 * Writes the migration that takes a database from its committed migrations to its current
 * `schema.prisma` (see `pendingMigrationScript`), as `prisma migrate dev --create-only`
 * would. Returns `null` and writes nothing when there is no change.
 */
export async function createMigration({ name, label, now = new Date() }: CreateMigrationOptions): Promise<CreatedMigration | null> {
  if (!/^[a-z0-9]+(_[a-z0-9]+)*$/.test(label)) {
    throw new TypeError(`Invalid migration name ${JSON.stringify(label)}: expected snake_case such as add_user_bio`);
  }
  const script = await pendingMigrationScript(name);
  if (script === null) return null;

  const { migrationsDir } = databaseFiles(name);
  const migrationName = `${timestamp(now)}_${label}`;
  const directory = join(migrationsDir, migrationName);
  await mkdir(directory, { recursive: true });
  const path = join(directory, 'migration.sql');
  await writeFile(path, script, { flag: 'wx' });
  await writeFile(join(migrationsDir, LOCKFILE_NAME), LOCKFILE_CONTENT);
  return { migrationName, path, script };
}

/**
 * The SQL that takes a database from its committed migrations to its `schema.prisma`, or
 * `null` when they match. Needs no database server: the engine replays the migrations on an
 * in-memory PGlite (the shadow database) and diffs the result against the schema.
 */
export async function pendingMigrationScript(name: DatabaseName): Promise<string | null> {
  const { schemaPath, migrationsDir } = databaseFiles(name);
  const schema = { path: schemaPath, content: await readFile(schemaPath, 'utf8') };
  const migrationsList = await readMigrationsList(migrationsDir);
  // The engine learns the provider of the history from the lock file; the first migration writes it.
  migrationsList.lockfile.content ??= LOCKFILE_CONTENT;

  const db = await PGlite.create('memory://');
  try {
    const engine = await createSchemaEngine({ adapter: pgliteMigrationAdapter(db), schema });
    try {
      const diff = await engine.diff({
        from: { tag: 'migrations', ...migrationsList },
        to: { tag: 'schemaDatamodel', files: [schema] },
        script: true,
        // Exit code 2 means "the diff is not empty", as for `prisma migrate diff --exit-code`.
        exitCode: true,
        filters: { externalTables: [], externalEnums: [] },
      });
      return diff.exitCode === 2 && diff.stdout ? diff.stdout : null;
    } finally {
      engine.free();
    }
  } catch (error) {
    throw new MigrationError('SCHEMA_ENGINE_ERROR', name, describeEngineError(error).message, { cause: error });
  } finally {
    await db.close();
  }
}

/** `20250101120000`: Prisma's migration folder prefix, in UTC. */
function timestamp(date: Date): string {
  return date.toISOString().replace(/\D/g, '').slice(0, 14);
}
