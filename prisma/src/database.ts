import { assertDatabaseName } from './database-files.ts';
import { openEmbedded } from './embedded.ts';
import { openPostgres } from './postgres.ts';
import type { Database, DatabaseOptions } from './types.ts';

/**
 * Opens one subgraph's database: PostgreSQL when `url` is given, else embedded PGlite.
 * Nothing is migrated until `migrate()` is called.
 */
export async function openDatabase({
  name,
  url,
  migrationUrl,
  poolSize = 10,
  acquireTimeoutMs = 2_000,
  statementTimeoutMs = 5_000,
  preparedStatements = true,
  dataDir = `.data/${name}`,
}: DatabaseOptions): Promise<Database> {
  assertDatabaseName(name);
  if (url === undefined) return openEmbedded(name, dataDir);
  const direct = migrationUrl ?? url;
  for (const given of [url, direct]) {
    if (!/^postgres(ql)?:\/\//.test(given)) {
      throw new TypeError(
        `Invalid url for database ${name}: expected postgres://user@host:port/database, got ${JSON.stringify(redact(given))}`,
      );
    }
  }
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new TypeError(`Invalid poolSize for database ${name}: expected a positive integer, got ${JSON.stringify(poolSize)}`);
  }
  return openPostgres(name, url, { poolSize, acquireTimeoutMs, statementTimeoutMs, preparedStatements, migrationUrl: direct });
}

/** The URL without its password, for error messages. */
function redact(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}
