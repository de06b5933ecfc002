import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { processTree, waitUntil } from '@tessera/test-helpers';

/** A process under measurement: its pid (and, read at each sample, its children's). */
export interface Measured {
  name: string;
  pid: number;
}

/** A benchmark process pinned to one core, its output kept for failure messages. */
export interface PinnedProcess extends Measured {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `command` pinned to `core` with `taskset` (which execs it, so the pid is the
 * program's own) and waits until `ready()` says so.
 */
export async function spawnPinned(
  name: string,
  core: number,
  command: string[],
  { env, cwd, ready }: { env: Record<string, string | undefined>; cwd: string; ready: () => Promise<boolean> },
): Promise<PinnedProcess> {
  const child = spawn('taskset', ['-c', String(core), ...command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => (output = (output + String(chunk)).slice(-20_000)));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}):\n${output}`);
        return ready().catch(() => false);
      },
      { timeoutMs: 120_000, intervalMs: 200, what: `${name} ready` },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { name, pid: child.pid!, child, output: () => output, stop };
}

/** Pins a running process and all its threads to `core` (or a list, `0,1`). */
export async function pin(pid: number, core: number | string): Promise<void> {
  const child = spawn('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`taskset could not pin ${pid}`);
}

const TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4_096;

/** User plus system CPU ticks a process has used, or undefined once it is gone. */
function cpuTicks(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** A process's resident set size, or 0 once it is gone. */
export function rssBytes(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE_BYTES;
  } catch {
    return 0;
  }
}

/** What a process tree used while something ran: CPU (cores busy, on average) and its RSS peak. */
export interface Usage {
  cpuCores: number;
  peakRssMiB: number;
}

/**
 * CPU ticks of a process tree over a run. Processes come and go (PostgreSQL forks a backend per
 * new connection, and ends it when the pool lets it go), so the tree is looked at again at each
 * sample: a process there at the start counts from its ticks then, one born during the run from
 * zero, and one that ended keeps its last reading.
 */
class TreeTicks {
  private readonly start = new Map<number, number>();
  private readonly last = new Map<number, number>();
  constructor(private readonly root: number) {
    for (const pid of processTree(root)) {
      const ticks = cpuTicks(pid) ?? 0;
      this.start.set(pid, ticks);
      this.last.set(pid, ticks);
    }
  }
  sample(): number[] {
    const tree = processTree(this.root);
    for (const pid of tree) {
      const ticks = cpuTicks(pid);
      if (ticks !== undefined) this.last.set(pid, ticks);
    }
    return tree;
  }
  cpuSeconds(): number {
    let ticks = 0;
    for (const [pid, last] of this.last) ticks += last - (this.start.get(pid) ?? 0);
    return ticks / TICKS_PER_SECOND;
  }
}

/** Samples the trees of `processes` (RSS and CPU every 250 ms) while `work` runs. */
export async function measureUsage<T>(processes: Measured[], work: () => Promise<T>): Promise<{ result: T; usage: Record<string, Usage> }> {
  const trees = processes.map((p) => new TreeTicks(p.pid));
  const peaks = processes.map(() => 0);
  const sample = () =>
    trees.forEach((tree, i) => {
      const rss = tree.sample().reduce((sum, pid) => sum + rssBytes(pid), 0);
      peaks[i] = Math.max(peaks[i]!, rss);
    });
  const started = performance.now();
  const timer = setInterval(sample, 250);
  try {
    const result = await work();
    sample();
    const seconds = (performance.now() - started) / 1_000;
    const usage = Object.fromEntries(
      processes.map((p, i) => [p.name, { cpuCores: trees[i]!.cpuSeconds() / seconds, peakRssMiB: peaks[i]! / 1_048_576 }]),
    );
    return { result, usage };
  } finally {
    clearInterval(timer);
  }
}

/** Whether `url` answers 2xx to a GET within a second. */
export const answersOk =
  (url: string, init: RequestInit = {}) =>
  async () =>
    (await fetch(url, { ...init, signal: AbortSignal.timeout(1_000) })).ok;
