import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { sqlRows } from './test-database.js';

const run = promisify(execFile);
const script = resolve(import.meta.dirname, '../../../scripts/test-services/replication.sh');

/** Which server of the pair. */
export type ReplicationServer = 'primary' | 'replica';

/**
 * A PostgreSQL primary and its streaming replica of one test's own (real replication, from the
 * Debian packages: the replica a `pg_basebackup -R` of the primary), which the test may pause or
 * stop, and a benchmark measure.
 */
export interface Replication {
  /** The primary's admin URL (database `postgres`): create the test's databases there. */
  primaryUrl: string;
  /** The replica's admin URL. */
  replicaUrl: string;
  /** The URL of the same database on the replica (every database of the primary is replicated). */
  onReplica(databaseUrl: string): string;
  /** `pg_wal_replay_pause()` on the replica: it shows nothing newer until resumed. */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /** Stops one server (fast shutdown: every connection is cut). */
  stop(server: ReplicationServer): Promise<void>;
  /** Starts it again: same data, same port (a replica catches up by itself). */
  resume(server: ReplicationServer): Promise<void>;
  /**
   * The process id of a server's postmaster (from its data directory's `postmaster.pid`), the
   * parent of all its processes: read at each call, since `resume` starts a new one.
   */
  postmasterPid(server: ReplicationServer): number;
  /** Stops both and removes their files. */
  destroy(): Promise<void>;
}

/** A server's data directory under the pair's: where `replication.sh` puts each. */
const dataDir = (dir: string, server: ReplicationServer) => join(dir, server === 'primary' ? 'postgres' : 'replica', 'data');

/** Starts the pair with `scripts/test-services/replication.sh`. */
export async function startReplication(): Promise<Replication> {
  const { stdout } = await run('bash', [script, 'start']);
  const value = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(stdout)?.[1];
  const primaryUrl = value('TEST_POSTGRES_PRIMARY_URL');
  const replicaUrl = value('TEST_POSTGRES_REPLICA_URL');
  const dir = value('TEST_REPLICATION_DIR');
  if (!primaryUrl || !replicaUrl || !dir) throw new Error(`replication.sh start printed no URLs:\n${stdout}`);
  const replicaPort = new URL(replicaUrl).port;
  const onReplica = (databaseUrl: string) => Object.assign(new URL(databaseUrl), { port: replicaPort }).toString();
  const onReplicaAdmin = async (sql: string) => void (await sqlRows(replicaUrl, sql));
  return {
    primaryUrl,
    replicaUrl,
    onReplica,
    pauseReplay: () => onReplicaAdmin('SELECT pg_wal_replay_pause()'),
    resumeReplay: () => onReplicaAdmin('SELECT pg_wal_replay_resume()'),
    stop: async (server) => void (await run('bash', [script, 'stop', server, dir])),
    resume: async (server) => void (await run('bash', [script, 'resume', server, dir])),
    postmasterPid: (server) => Number(readFileSync(join(dataDir(dir, server), 'postmaster.pid'), 'utf8').split('\n')[0]),
    destroy: async () => void (await run('bash', [script, 'destroy', dir])),
  };
}
