import type { ReplayStatus } from '@tessera/prisma';
import type { Logger } from '@tessera/service-kit';
import { Counter, Gauge, type Registry } from 'prom-client';
import { createLagClock } from './lag.js';
import { chooseReadTarget, type ReadTarget, type ReplicaState } from './routing.js';

/** Options of {@link createReplicaMonitor}. */
export interface ReplicaMonitorOptions {
  /** The WAL the primary has flushed: all a replica can have received. */
  primary: { flushedLsn(): Promise<bigint> };
  /** The replicas, each named for logs and metrics (its URL without password). */
  replicas: ReadonlyArray<{ name: string; replayStatus(): Promise<ReplayStatus> }>;
  /** How often each server is looked at (`DATABASE_REPLICA_POLL_MS`). */
  pollMs: number;
  /** A replica further behind than this takes no reads (`DATABASE_REPLICA_MAX_LAG_MS`). */
  maxLagMs: number;
  logger: Logger;
  registry?: Registry;
  now?: () => number;
}

/** The replicas as last seen, and where each request's reads go. */
export interface ReplicaMonitor {
  /** Where a request's reads go: a replica that shows `required` and lags at most the bound, else the primary (counted, with why). */
  choose(request: { required?: bigint; writes?: boolean }): ReadTarget;
  /** Whether the primary answered its last look. */
  primaryUp(): boolean;
  /** Whether any replica answered its last look and is within the lag bound. */
  anyReplicaServing(): boolean;
  states(): readonly ReplicaState[];
  /** A read on replica `index` found it not answering: it takes no reads until it answers a look again. */
  failed(index: number): void;
  /** Looks at every server once, now (the poll does the same every `pollMs`). */
  refresh(): Promise<void>;
  close(): void;
}

/**
 * Watches a primary and its streaming replicas: every `pollMs`, the primary's flushed WAL
 * position (with the time seen; not the insert position, which at a page's start points past its
 * header, where no replica's replayed position ever lands) and each replica's replayed position, from which its lag in time follows
 * (`lag.ts`). A replica that does not answer, or lags past the bound, takes no reads until it is
 * back within it — no restart. Gauges per replica (lag, up), counters of where reads went.
 */
export function createReplicaMonitor({
  primary,
  replicas,
  pollMs,
  maxLagMs,
  logger,
  registry,
  now = Date.now,
}: ReplicaMonitorOptions): ReplicaMonitor {
  const clock = createLagClock(Math.max(60_000, maxLagMs * 10));
  const states: ReplicaState[] = replicas.map(() => ({ up: false, replayed: 0n, lagMs: Number.POSITIVE_INFINITY }));
  let primaryUp = true;
  let turn = 0;
  const metrics = replicaMetrics(registry, replicas, states);
  const refresh = async () => {
    const [current, ...looks] = await Promise.allSettled([primary.flushedLsn(), ...replicas.map((replica) => replica.replayStatus())]);
    const at = now();
    primaryUp = current.status === 'fulfilled';
    if (current.status === 'fulfilled') clock.record(at, current.value);
    looks.forEach((look, i) => {
      const wasServing = serving(states[i]!);
      states[i] =
        look.status === 'fulfilled'
          ? { up: true, replayed: look.value.replayed, lagMs: clock.lagMs(look.value.replayed, at) }
          : { ...states[i]!, up: false };
      if (wasServing !== serving(states[i]))
        logger.warn(
          { replica: replicas[i]!.name, ...describe(states[i]) },
          serving(states[i]) ? 'replica back in rotation' : 'replica out of rotation',
        );
    });
  };
  const serving = (state: ReplicaState) => state.up && state.lagMs <= maxLagMs;
  const stop = replicas.length > 0 ? everyAfter(pollMs, refresh) : () => {};
  return {
    choose(request) {
      const target = chooseReadTarget(states, { ...request, maxLagMs, pick: (count) => turn++ % count });
      metrics.reads.inc(target.kind === 'replica' ? { target: 'replica', reason: '' } : { target: 'primary', reason: target.reason });
      return target;
    },
    primaryUp: () => primaryUp,
    anyReplicaServing: () => states.some(serving),
    states: () => states,
    failed(index) {
      if (states[index]?.up) states[index] = { ...states[index], up: false };
    },
    refresh,
    close: stop,
  };
}

/**
 * Runs `look` `ms` after the last one ended, until stopped: one at a time, so a slow server never
 * has looks piling up, nor an older one overwriting a newer. Failures are the look's to record.
 */
function everyAfter(ms: number, look: () => Promise<void>): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const next = () => {
    timer = setTimeout(
      () =>
        void look()
          .catch(() => {})
          .finally(() => stopped || next()),
      ms,
    );
    timer.unref();
  };
  next();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function describe(state: ReplicaState) {
  return { up: state.up, lagMs: Number.isFinite(state.lagMs) ? state.lagMs : null };
}

/**
 * The replica series: lag and up per replica (from `states`), reads by target. A subgraph without
 * replicas registers them all the same (no samples), for dashboards and alerts.
 */
export function replicaMetrics(
  registry: Registry | undefined,
  replicas: ReplicaMonitorOptions['replicas'] = [],
  states: readonly ReplicaState[] = [],
) {
  const registers = registry ? [registry] : [];
  new Gauge({
    name: 'db_replica_lag_seconds',
    help: 'How far each replica is behind the primary, in time (0: it replayed everything the primary wrote).',
    labelNames: ['replica'],
    registers,
    collect() {
      replicas.forEach((replica, i) => {
        const lag = states[i]!.lagMs;
        if (Number.isFinite(lag)) this.set({ replica: replica.name }, lag / 1_000);
      });
    },
  });
  new Gauge({
    name: 'db_replica_up',
    help: 'Whether each replica answered its last look (1) or not (0).',
    labelNames: ['replica'],
    registers,
    collect() {
      replicas.forEach((replica, i) => this.set({ replica: replica.name }, states[i]!.up ? 1 : 0));
    },
  });
  return {
    reads: new Counter({
      name: 'db_reads_total',
      help: 'Requests by where their reads went: a replica, or the primary and why (write, behind, lagging, down, none).',
      labelNames: ['target', 'reason'],
      registers,
    }),
  };
}
