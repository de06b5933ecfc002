import { assertDatabaseName } from './database-files.ts';
import { openEmbedded } from './embedded.ts';
import { openPostgres } from './postgres.ts';
import { openReplica, redactedUrl } from './replica.ts';
import type { Database, DatabaseOptions } from './types.ts';

/**
 * Opens one subgraph's database: PostgreSQL when `url` is given, else embedded PGlite.
 * Nothing is migrated until `migrate()` is called.
 */
export async function openDatabase({
  name,
  url,
  replicaUrls = [],
  migrationUrl,
  poolSize = 10,
  acquireTimeoutMs = 2_000,
  statementTimeoutMs = 5_000,
  preparedStatements = true,
  dataDir = `.data/${name}`,
}: DatabaseOptions): Promise<Database> {
  assertDatabaseName(name);
  if (url === undefined) {
    if (replicaUrls.length > 0) throw new TypeError(`Replicas of database ${name} given without its url: the embedded database has none`);
    return openEmbedded(name, dataDir);
  }
  const direct = migrationUrl ?? url;
  for (const given of [url, direct, ...replicaUrls]) {
    if (!/^postgres(ql)?:\/\//.test(given)) {
      throw new TypeError(
        `Invalid url for database ${name}: expected postgres://user@host:port/database, got ${JSON.stringify(redactedUrl(given))}`,
      );
    }
  }
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new TypeError(`Invalid poolSize for database ${name}: expected a positive integer, got ${JSON.stringify(poolSize)}`);
  }
  const pool = { poolSize, acquireTimeoutMs, statementTimeoutMs, preparedStatements };
  const primary = openPostgres(name, url, { ...pool, migrationUrl: direct });
  if (replicaUrls.length === 0) return primary;
  const replicas = replicaUrls.map((replicaUrl) => openReplica(replicaUrl, pool));
  return { ...primary, replicas, close: async () => void (await Promise.all([primary.close(), ...replicas.map((r) => r.close())])) };
}
