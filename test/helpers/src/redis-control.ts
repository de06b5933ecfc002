import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { pingRedis } from './redis-ping.js';
import { requireEnv } from './require-env.js';
import { waitUntil } from './wait-until.js';

/*
 * Outage tests stop and start the Redis server of TEST_REDIS_URL. It is the one
 * scripts/test-services started from the config file named by TEST_REDIS_CONF (port,
 * pidfile, no persistence), so starting it again gives the same, empty server.
 * Every test file sees the same server: restart it before the file ends.
 */

/** Options of {@link stopRedis}. */
export interface StopRedisOptions {
  /** `SIGTERM` shuts Redis down cleanly; `SIGKILL` simulates a crash. @default 'SIGTERM' */
  signal?: 'SIGTERM' | 'SIGKILL';
  /** How long Redis may take to go away before this rejects. @default 10_000 */
  timeoutMs?: number;
}

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /** How long Redis may take to answer `PING` before this rejects. @default 10_000 */
  timeoutMs?: number;
}

const CONTROL_HINT =
  'It is set by scripts/test-services/run.sh (`pnpm test`) when it starts Redis itself; ' +
  'a Redis you provide through TEST_REDIS_URL cannot be stopped and started by the tests.';

/**
 * Stops the test Redis server and resolves once it no longer accepts connections.
 * Does nothing when it is already stopped.
 */
export async function stopRedis({ signal = 'SIGTERM', timeoutMs = 10_000 }: StopRedisOptions = {}): Promise<void> {
  const { pidfile } = await readRedisConf();
  const pid = Number(await readFile(pidfile, 'utf8').catch(() => ''));
  if (pid > 0 && isRunning(pid)) process.kill(pid, signal);
  await waitUntil(async () => !(pid > 0 && isRunning(pid)) && !(await answers()), { timeoutMs, intervalMs: 50, what: 'Redis to stop' });
}

/**
 * Starts the test Redis server again (same port and settings, no data) and resolves
 * once it answers `PING`. Does nothing when it is already running.
 */
export async function startRedis({ timeoutMs = 10_000 }: StartRedisOptions = {}): Promise<void> {
  if (await answers()) return;
  const { path, logfile } = await readRedisConf();
  // The config says `daemonize yes`: this process exits as soon as the server has forked.
  const child = spawn('redis-server', [path], { stdio: 'ignore' });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`redis-server ${path} exited with ${code}:\n${await tail(logfile)}`);
  await waitUntil(answers, { timeoutMs, intervalMs: 50, what: 'Redis to answer PING' }).catch(async (error: Error) => {
    throw new Error(`${error.message}; ${logfile}:\n${await tail(logfile)}`);
  });
}

/** {@link stopRedis} then {@link startRedis}: an outage as short as possible. */
export async function restartRedis(options: StopRedisOptions = {}): Promise<void> {
  await stopRedis(options);
  await startRedis({ timeoutMs: options.timeoutMs });
}

async function answers(): Promise<boolean> {
  return pingRedis(requireEnv('TEST_REDIS_URL'), { timeoutMs: 500 }).then(
    (reply) => reply === 'PONG',
    () => false,
  );
}

/** The config file scripts/test-services wrote, with the directives this module needs. */
async function readRedisConf(): Promise<{ path: string; pidfile: string; logfile: string }> {
  const path = requireEnv('TEST_REDIS_CONF', CONTROL_HINT);
  const directives = new Map(
    (await readFile(path, 'utf8')).split('\n').map((line) => {
      const [key = '', ...value] = line.trim().split(/\s+/);
      return [key, value.join(' ')] as const;
    }),
  );
  const pidfile = directives.get('pidfile');
  if (!pidfile) throw new Error(`${path} has no pidfile directive`);
  return { path, pidfile, logfile: directives.get('logfile') ?? '' };
}

/** Whether process `pid` exists and is not a zombie waiting for a parent to reap it. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A daemon's parent is PID 1, which in a container may never reap it.
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

async function tail(file: string): Promise<string> {
  if (!file) return '';
  return (await readFile(file, 'utf8').catch(() => '')).split('\n').slice(-10).join('\n');
}
