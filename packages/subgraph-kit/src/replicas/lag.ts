/**
 * A replica's lag in time, from positions alone: the primary's current WAL position is sampled
 * with the time it was seen; a replica that replayed up to some position lags by the age of the
 * oldest sample it has not reached (0 when it reached the newest). Unlike
 * `now() - pg_last_xact_replay_timestamp()`, this does not grow while the primary writes nothing.
 */
export interface LagClock {
  /** The primary was at `lsn` at time `at` (ms). */
  record(at: number, lsn: bigint): void;
  /** How long (ms) before `now` the primary first wrote past `replayed`; 0 when nothing is known past it. */
  lagMs(replayed: bigint, now: number): number;
  /** The newest position seen on the primary, if any. */
  latest(): bigint | undefined;
}

/** Keeps samples for `windowMs` (past it, a replica lags "at least that much"), the oldest of a run of equal positions only. */
export function createLagClock(windowMs: number): LagClock {
  const samples: Array<{ at: number; lsn: bigint }> = [];
  return {
    record(at, lsn) {
      const last = samples.at(-1);
      if (!last || lsn > last.lsn) samples.push({ at, lsn });
      while (samples.length > 1 && samples[1]!.at <= at - windowMs) samples.shift();
    },
    lagMs(replayed, now) {
      const first = samples.find((sample) => sample.lsn > replayed);
      return first ? Math.max(0, now - first.at) : 0;
    },
    latest: () => samples.at(-1)?.lsn,
  };
}
