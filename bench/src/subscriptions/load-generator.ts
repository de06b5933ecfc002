import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { repoRoot } from '../gateways.js';
import type { Commit, LatencyReport, SubscriberCounts } from './recorder.js';
import type { Command, Transport } from './subscribers.js';

const node = resolve(repoRoot, 'node_modules/.bin/node');

/** The subscribers' process, driven from the benchmark's. */
export interface LoadGenerator {
  pid: number;
  /** Opens `count` subscriptions of `query` (its `$p` the product), spread over `productIds` round-robin. */
  open(options: { transport: Transport; url: string; query: string; productIds: string[]; count: number }): Promise<SubscriberCounts>;
  counts(): Promise<SubscriberCounts>;
  /** From now on, each delivery's arrival time is kept. */
  record(): Promise<void>;
  /** What was recorded, timed from the reviews' commits (each of `perReview` also on its own). */
  report(commits: Record<string, Commit>, perReview?: string[]): Promise<LatencyReport>;
  /** Ends every subscription from the client side. */
  close(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the load generator (bench/src/subscriptions/subscribers.ts) pinned to `core`. */
export function startLoadGenerator(core: number): LoadGenerator {
  const child: ChildProcess = spawn('taskset', ['-c', String(core), node, '--import', 'tsx', 'bench/src/subscriptions/subscribers.ts'], {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 0;
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  child.on('message', (message: { id: number; result?: unknown; error?: string }) => {
    const call = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.error !== undefined) call?.reject(new Error(`load generator: ${message.error}`));
    else call?.resolve(message.result);
  });
  child.on('exit', (code) => {
    for (const call of waiting.values()) call.reject(new Error(`the load generator exited (${code})`));
    waiting.clear();
  });
  const ask = <T>(command: Command): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ id, command });
    });
  return {
    pid: child.pid!,
    open: (options) => ask({ type: 'open', ...options }),
    counts: () => ask({ type: 'counts' }),
    record: () => ask({ type: 'record' }),
    report: (commits, perReview) => ask({ type: 'report', commits, perReview }),
    close: () => ask({ type: 'close' }),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.disconnect();
      await exited;
    },
  };
}
