import pg from 'pg';
import { postgresMigrationAdapter } from './adapters.ts';
import type { DatabaseName } from './database-files.ts';
import { parseLsn } from './lsn.ts';
import { applyMigrations, pendingMigrations } from './migrate.ts';
import { CharAsTextClient } from './pg-client.ts';
import { openServerPool, type PoolSettings } from './pool.ts';
import type { Database } from './types.ts';

/**
 * The key of Prisma Migrate's own advisory lock (`pg_advisory_lock(72707369)`), taken here
 * first, without the engine's 10-second timeout, so a second process waits for the first
 * one's migrations however long they take, then finds nothing left to apply.
 */
const PRISMA_MIGRATE_LOCK = 72707369;

/** How the pool of {@link openPostgres} behaves (see `DatabaseOptions`). */
export interface PoolOptions extends PoolSettings {
  /** Where migrations connect: the server itself, when `url` goes through a pooler. */
  migrationUrl: string;
}

/** A PostgreSQL server database on one `pg` pool, shared by the Prisma client and `ping()`. */
export function openPostgres(name: DatabaseName, url: string, { migrationUrl, ...settings }: PoolOptions): Database {
  const { pool, adapter, poolStats, close } = openServerPool(url, settings);
  const lsn = async (sql: string) => parseLsn((await pool.query<{ lsn: string }>(sql)).rows[0]!.lsn);
  return {
    kind: 'postgres',
    adapter,
    migrate: () => migrateWithLock(name, migrationUrl),
    pendingMigrations: () =>
      onOwnConnection(migrationUrl, (connection) => pendingMigrations(name, postgresMigrationAdapter(connection, migrationUrl))),
    // The insert position, not pg_current_wal_lsn() (the write position): under synchronous_commit=off a
    // committed transaction's commit record may still be in the WAL buffers, past the write position.
    currentLsn: () => lsn('SELECT pg_current_wal_insert_lsn()::text AS lsn'),
    flushedLsn: () => lsn('SELECT pg_current_wal_flush_lsn()::text AS lsn'),
    replicas: [],
    async ping() {
      await pool.query('SELECT 1');
    },
    poolStats,
    close,
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
