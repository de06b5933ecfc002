import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { postgresMigrationAdapter } from './adapters.ts';
import type { DatabaseName } from './database-files.ts';
import { parseLsn } from './lsn.ts';
import { applyMigrations, pendingMigrations } from './migrate.ts';
import { CharAsTextClient } from './pg-client.ts';
import { createStatementNames } from './statement-names.ts';
import type { Database } from './types.ts';

/**
 * The key of Prisma Migrate's own advisory lock (`pg_advisory_lock(72707369)`), taken here
 * first, without the engine's 10-second timeout, so a second process waits for the first
 * one's migrations however long they take, then finds nothing left to apply.
 */
const PRISMA_MIGRATE_LOCK = 72707369;

/** How the pool of {@link openPostgres} behaves (see `DatabaseOptions`). */
export interface PoolOptions {
  poolSize: number;
  acquireTimeoutMs: number;
  statementTimeoutMs: number;
  preparedStatements: boolean;
  /** Where migrations connect: the server itself, when `url` goes through a pooler. */
  migrationUrl: string;
}

/** A PostgreSQL server database on one `pg` pool, shared by the Prisma client and `ping()`. */
export function openPostgres(
  name: DatabaseName,
  url: string,
  { poolSize, acquireTimeoutMs, statementTimeoutMs, preparedStatements, migrationUrl }: PoolOptions,
): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    Client: CharAsTextClient,
    connectionTimeoutMillis: acquireTimeoutMs,
    ...(statementTimeoutMs > 0 && { statement_timeout: statementTimeoutMs }),
  });
  // An idle connection that breaks (server restart) emits 'error' on the pool, which would
  // end the process unhandled. The pool drops that connection; the next query or ping()
  // reports the outage.
  pool.on('error', () => {});
  let closed: Promise<void> | undefined;
  return {
    kind: 'postgres',
    // Given a pool, PrismaPg leaves it open on `$disconnect()`: it is ours to end in close().
    adapter: new PrismaPg(pool, preparedStatements ? { statementNameGenerator: createStatementNames() } : {}),
    migrate: () => migrateWithLock(name, migrationUrl),
    pendingMigrations: () =>
      onOwnConnection(migrationUrl, (connection) => pendingMigrations(name, postgresMigrationAdapter(connection, migrationUrl))),
    async currentLsn() {
      // The insert position, not pg_current_wal_lsn() (the write position): under synchronous_commit=off a
      // committed transaction's commit record may still be in the WAL buffers, past the write position.
      const { rows } = await pool.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
      return parseLsn(rows[0]!.lsn);
    },
    async flushedLsn() {
      const { rows } = await pool.query<{ lsn: string }>('SELECT pg_current_wal_flush_lsn()::text AS lsn');
      return parseLsn(rows[0]!.lsn);
    },
    replicas: [],
    async ping() {
      await pool.query('SELECT 1');
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: poolSize }),
    close() {
      closed ??= pool.end();
      return closed;
    },
  };
}

/**
 * Migrations run on a connection of their own, closed afterwards, as with the native engine.
 * The engine takes a session-level advisory lock and never unlocks it (it relies on its
 * connection closing): on a pooled connection the lock would outlive the migration and stall
 * every other process's migrations.
 */
async function migrateWithLock(name: DatabaseName, url: string): Promise<string[]> {
  return onOwnConnection(url, async (connection) => {
    try {
      await connection.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK]);
      return await applyMigrations(name, postgresMigrationAdapter(connection, url));
    } finally {
      // The server drops a session's locks only once it has noticed the disconnect, a moment
      // after end() resolves; unlocking first makes the next process's wait end now.
      await connection.query('SELECT pg_advisory_unlock_all()').catch(() => {});
    }
  });
}

/** Runs `work` on a one-connection pool of its own, ended afterwards. */
async function onOwnConnection<T>(url: string, work: (connection: pg.Pool) => Promise<T>): Promise<T> {
  const connection = new pg.Pool({ connectionString: url, max: 1, idleTimeoutMillis: 0, Client: CharAsTextClient });
  connection.on('error', () => {});
  try {
    return await work(connection);
  } finally {
    await connection.end();
  }
}
