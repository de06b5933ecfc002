/**
 * Where a read goes: to a replica that is up, within the lag bound and past the position the
 * request must see, else to the primary — and why, for the metrics. Pure: the replicas' state comes
 * from the monitor, the choice among eligible ones from `pick`.
 */

/** What the monitor last saw of one replica. */
export interface ReplicaState {
  /** It answered its last look. */
  up: boolean;
  /** The last WAL position it replayed (what it shows). */
  replayed: bigint;
  /** How far behind the primary it is, in time (0 when it replayed everything the primary wrote). */
  lagMs: number;
}

/** Why a read went to the primary. */
export type PrimaryReason =
  /** No replica is configured. */
  | 'none'
  /** The request writes: what it reads must be what it writes on. */
  | 'write'
  /** Every replica within the lag bound is behind what the request must see (its caller's last write, a cache fill's last write). */
  | 'behind'
  /** Every replica that answers lags more than `DATABASE_REPLICA_MAX_LAG_MS`. */
  | 'lagging'
  /** No replica answers. */
  | 'down';

export type ReadTarget = { kind: 'replica'; index: number } | { kind: 'primary'; reason: PrimaryReason };

export interface ReadRequirements {
  /** The WAL position the read must see (read-your-writes), if any. */
  required?: bigint;
  /** The request writes. */
  writes?: boolean;
  maxLagMs: number;
  /** Picks one of `count` eligible replicas (round robin, random). */
  pick: (count: number) => number;
}

export function chooseReadTarget(
  replicas: readonly ReplicaState[],
  { required, writes = false, maxLagMs, pick }: ReadRequirements,
): ReadTarget {
  if (replicas.length === 0) return { kind: 'primary', reason: 'none' };
  if (writes) return { kind: 'primary', reason: 'write' };
  const fresh = replicas.flatMap((replica, index) => (replica.up && replica.lagMs <= maxLagMs ? [{ replica, index }] : []));
  const eligible = fresh.filter(({ replica }) => required === undefined || replica.replayed >= required);
  if (eligible.length > 0) return { kind: 'replica', index: eligible[pick(eligible.length)]!.index };
  if (fresh.length > 0) return { kind: 'primary', reason: 'behind' };
  return { kind: 'primary', reason: replicas.some((replica) => replica.up) ? 'lagging' : 'down' };
}
