import type { PrismaPg } from '@prisma/adapter-pg';
import { parseLsn } from './lsn.ts';
import { openServerPool, type PoolSettings } from './pool.ts';
import type { PoolStats } from './types.ts';

/** Where a streaming replica is, as one look at it says. */
export interface ReplayStatus {
  /** The last WAL position it replayed: everything committed up to there is visible on it. */
  replayed: bigint;
  /** Whether replay is paused (`pg_wal_replay_pause()`): it falls behind for as long. */
  paused: boolean;
}

/** A read-only copy of a subgraph's database (a PostgreSQL streaming replica), on a pool of its own. */
export interface ReplicaDatabase {
  /** Its URL without the password, for logs and metrics labels. */
  name: string;
  /** Pass to `new PrismaClient({ adapter })`: reads only. */
  adapter: PrismaPg;
  /** Where its replay is. Rejects when it does not answer, or is not a standby (promoted, or a primary given by mistake). */
  replayStatus(): Promise<ReplayStatus>;
  poolStats(): PoolStats;
  close(): Promise<void>;
}

/** Opens a replica's pool; nothing is asked of it until used. */
export function openReplica(url: string, settings: PoolSettings): ReplicaDatabase {
  const { pool, adapter, poolStats, close } = openServerPool(url, settings);
  return {
    name: redactedUrl(url),
    adapter,
    async replayStatus() {
      const { rows } = await pool.query<{ standby: boolean; replayed: string | null; paused: boolean }>(
        'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed, ' +
          'CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END AS paused',
      );
      const [row] = rows;
      if (!row?.standby || row.replayed === null) throw new Error(`${redactedUrl(url)} is not a streaming replica (not in recovery)`);
      return { replayed: parseLsn(row.replayed), paused: row.paused };
    },
    poolStats,
    close,
  };
}

/** The URL without its password. */
export function redactedUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}
