import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The databases this package manages, one per subgraph. */
export const DATABASE_NAMES = ['users', 'products', 'reviews'] as const;

/** One subgraph's database: `prisma/<name>/schema.prisma`, `prisma/<name>/migrations/`. */
export type DatabaseName = (typeof DATABASE_NAMES)[number];

/** Where a database's Prisma schema and committed migrations live. */
export interface DatabaseFiles {
  /** Absolute path of `<name>/schema.prisma`. */
  schemaPath: string;
  /** Absolute path of `<name>/migrations`, one `<timestamp>_<label>/migration.sql` folder per migration. */
  migrationsDir: string;
}

// The package's own folder, found by its name: the same from src/ and from the compiled dist/src/.
const packageRoot = dirname(createRequire(import.meta.url).resolve('@tessera/prisma/package.json'));

/** The files of one database, resolved from this package's folder (not the working directory). */
export function databaseFiles(name: DatabaseName): DatabaseFiles {
  return {
    schemaPath: join(packageRoot, name, 'schema.prisma'),
    migrationsDir: join(packageRoot, name, 'migrations'),
  };
}

/** Narrows an untrusted value (a CLI argument, a config value) to a database name, or throws naming it. */
export function assertDatabaseName(value: unknown): asserts value is DatabaseName {
  if (!DATABASE_NAMES.includes(value as DatabaseName)) {
    throw new TypeError(`Unknown database ${JSON.stringify(value)}: expected one of ${DATABASE_NAMES.join(', ')}`);
  }
}
