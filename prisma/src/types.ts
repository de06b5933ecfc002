import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { DatabaseName } from './database-files.ts';
import type { ReplicaDatabase } from './replica.ts';

/** How to reach one subgraph's database. */
export interface DatabaseOptions {
  /** Which database: selects the schema and the migrations folder. */
  name: DatabaseName;
  /** PostgreSQL connection URL. When absent, an embedded PGlite database is used. */
  url?: string;
  /**
   * Streaming replicas of `url` (PostgreSQL only), opened with the same pool settings: reads may
   * go to them (`Database.replicas`); writes and migrations never do. @default none
   */
  replicaUrls?: readonly string[];
  /**
   * Where migrations connect, when `url` goes through a pooler in transaction mode (PgBouncer):
   * the server itself. Prisma Migrate's advisory lock belongs to a session, which such a pooler
   * does not keep. @default url
   */
  migrationUrl?: string;
  /**
   * Max connections in the pg pool (PostgreSQL only). `migrate()` briefly opens one more.
   * @default 10
   */
  poolSize?: number;
  /**
   * Longest wait for a pooled connection (or a new one to connect) before the query fails
   * (PostgreSQL only): a full pool queues for at most this long, not without bound.
   * @default 2_000
   */
  acquireTimeoutMs?: number;
  /**
   * Server-side `statement_timeout` of every pooled session (PostgreSQL only): a statement
   * running longer is cancelled by PostgreSQL itself (SQLSTATE 57014). 0 means none.
   * @default 5_000
   */
  statementTimeoutMs?: number;
  /**
   * Named (prepared) statements, each parsed and planned once per pooled connection (PostgreSQL
   * only). Turn off behind a pooler in transaction mode that cannot carry them (PgBouncer before
   * 1.21, or without `max_prepared_statements`). @default true
   */
  preparedStatements?: boolean;
  /**
   * PGlite data directory, or 'memory://' for an in-memory database (embedded only).
   * Relative paths are resolved from the working directory.
   * @default `.data/<name>`
   */
  dataDir?: string;
}

/** An open database: its driver adapter for Prisma, plus what a service needs around it. */
export interface Database {
  kind: 'postgres' | 'embedded';
  /** Pass to `new PrismaClient({ adapter })` of the generated client for this database. */
  adapter: SqlDriverAdapterFactory;
  /**
   * Applies committed migrations with `prisma migrate deploy` semantics (idempotent); returns
   * names of newly applied migrations. Fails with a `MigrationError` on a failed/edited migration.
   * On PostgreSQL, concurrent callers (other processes too) wait for each other.
   */
  migrate(): Promise<string[]>;
  /**
   * The committed migrations not applied yet, oldest first; applies nothing. Fails as
   * `migrate()` does on a failed or edited migration.
   */
  pendingMigrations(): Promise<string[]>;
  /**
   * The primary's current WAL insert position (PostgreSQL only): every write committed before the
   * call is at or before it (even under `synchronous_commit = off`), so a replica that replayed up
   * to it shows them.
   */
  currentLsn?(): Promise<bigint>;
  /**
   * The WAL the primary has flushed (PostgreSQL only): all a streaming replica can have received,
   * and what it has replayed once idle (where its lag is measured from).
   */
  flushedLsn?(): Promise<bigint>;
  /** Its streaming replicas (`replicaUrls`), in order; none for the embedded database. */
  replicas: ReplicaDatabase[];
  /** Cheap liveness query (SELECT 1) — used by /ready. Rejects if the database does not answer. */
  ping(): Promise<void>;
  /** How the connection pool is used right now (PostgreSQL); undefined for the embedded database. */
  poolStats(): PoolStats | undefined;
  /** Closes pools / the PGlite instance (flushes embedded data to disk). Safe to call twice. */
  close(): Promise<void>;
}

/** A connection pool's state, for metrics. */
export interface PoolStats {
  /** Connections open (idle or in use). */
  total: number;
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
  /** The pool's size (`poolSize`). */
  max: number;
}
