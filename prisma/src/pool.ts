import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { CharAsTextClient } from './pg-client.ts';
import { createStatementNames } from './statement-names.ts';
import type { PoolStats } from './types.ts';

/** How a server's pool behaves (see `DatabaseOptions`). */
export interface PoolSettings {
  poolSize: number;
  acquireTimeoutMs: number;
  statementTimeoutMs: number;
  preparedStatements: boolean;
}

/** A PostgreSQL server's `pg` pool, with the Prisma adapter over it: the primary's and each replica's. */
export interface ServerPool {
  pool: pg.Pool;
  /** Pass to `new PrismaClient({ adapter })`. Given a pool, PrismaPg leaves it open on `$disconnect()`: it is ours to end in close(). */
  adapter: PrismaPg;
  poolStats: () => PoolStats;
  /** Ends the pool, once however often called. */
  close: () => Promise<void>;
}

/** Opens the pool; nothing is asked of the server until it is used. */
export function openServerPool(
  url: string,
  { poolSize, acquireTimeoutMs, statementTimeoutMs, preparedStatements }: PoolSettings,
): ServerPool {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    Client: CharAsTextClient,
    connectionTimeoutMillis: acquireTimeoutMs,
    ...(statementTimeoutMs > 0 && { statement_timeout: statementTimeoutMs }),
  });
  // An idle connection that breaks (server restart) emits 'error' on the pool, which would
  // end the process unhandled. The pool drops that connection; the next query reports the outage.
  pool.on('error', () => {});
  let closed: Promise<void> | undefined;
  return {
    pool,
    adapter: new PrismaPg(pool, preparedStatements ? { statementNameGenerator: createStatementNames() } : {}),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: poolSize }),
    close: () => (closed ??= pool.end()),
  };
}
