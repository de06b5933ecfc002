import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const script = resolve(import.meta.dirname, '../../../scripts/test-services/postgres.sh');

/** A PostgreSQL server of one test's own (real, from the Debian packages), which it may stop and start. */
export interface OwnPostgres {
  /** Its admin URL (database `postgres`). */
  url: string;
  /** Stops the server (fast shutdown: every connection is cut). */
  stop(): Promise<void>;
  /** Starts it again: same data, same port. */
  resume(): Promise<void>;
  /** Stops it and removes its files. */
  destroy(): Promise<void>;
}

/** Starts one with `scripts/test-services/postgres.sh` (initdb in a new /tmp directory, a free port). */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const { stdout } = await run('bash', [script, 'start']);
  const value = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(stdout)?.[1];
  const url = value('TEST_POSTGRES_URL');
  const dir = value('TEST_POSTGRES_DIR');
  if (!url || !dir) throw new Error(`postgres.sh start printed no URL:\n${stdout}`);
  const call = async (command: string) => void (await run('bash', [script, command, dir]));
  return { url, stop: () => call('stop'), resume: () => call('resume'), destroy: () => call('destroy') };
}
