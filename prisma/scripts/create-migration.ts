/**
 * `pnpm db:migration:create <database> <name>`: writes
 * `prisma/<database>/migrations/<timestamp>_<name>/migration.sql` with the SQL that brings the
 * committed migrations up to `schema.prisma`, or says there is nothing to do. Works offline.
 */
import { relative } from 'node:path';
import { assertDatabaseName, DATABASE_NAMES } from '../src/database-files.ts';
import { createMigration } from '../src/create-migration.ts';

const usage = `usage: pnpm db:migration:create <${DATABASE_NAMES.join('|')}> <name_in_snake_case>`;

async function main(args: string[]): Promise<number> {
  const [name, label, ...rest] = args;
  if (!name || !label || rest.length > 0) {
    console.error(usage);
    return 2;
  }
  assertDatabaseName(name);
  const created = await createMigration({ name, label });
  if (!created) {
    console.log(`${name}: no changes — schema.prisma matches the migrations; nothing written.`);
    return 0;
  }
  console.log(`${name}: created ${relative(process.cwd(), created.path)}\n\n${created.script}`);
  console.log('Review it, then commit it. Services apply it at start-up (Database.migrate()).');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
