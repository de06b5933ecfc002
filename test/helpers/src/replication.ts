import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const script = resolve(import.meta.dirname, '../../../scripts/test-services/replication.sh');

/** Which server of the pair. */
export type ReplicationServer = 'primary' | 'replica';

/**
 * A PostgreSQL primary and its streaming replica of one test's own (real replication, from the
 * Debian packages: the replica a `pg_basebackup -R` of the primary), which the test may pause or stop.
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
  /** Stops both and removes their files. */
  destroy(): Promise<void>;
}

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
  const onReplicaAdmin = async (sql: string) => {
    const client = new pg.Client({ connectionString: replicaUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return {
    primaryUrl,
    replicaUrl,
    onReplica,
    pauseReplay: () => onReplicaAdmin('SELECT pg_wal_replay_pause()'),
    resumeReplay: () => onReplicaAdmin('SELECT pg_wal_replay_resume()'),
    stop: async (server) => void (await run('bash', [script, 'stop', server, dir])),
    resume: async (server) => void (await run('bash', [script, 'resume', server, dir])),
    destroy: async () => void (await run('bash', [script, 'destroy', dir])),
  };
}
