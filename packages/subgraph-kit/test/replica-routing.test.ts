/**
 * Where reads go (replicas/routing.ts) and how far behind a replica is (replicas/lag.ts), by
 * property: for any replicas' states and any request, a read goes to a replica only if that
 * replica is up, within the lag bound and past what the request must see — and to the primary,
 * with the right reason, only when none is; a replica's lag is what the whole history of the
 * primary's positions says.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLagClock } from '../src/replicas/lag.js';
import { chooseReadTarget, type ReplicaState } from '../src/replicas/routing.js';

const replica = fc.record({ up: fc.boolean(), replayed: fc.bigInt({ min: 0n, max: 2_000n }), lagMs: fc.nat(5_000) });

describe('chooseReadTarget', () => {
  it('sends a read to an eligible replica whenever there is one, and says why it did not', () => {
    fc.assert(
      fc.property(
        fc.array(replica, { maxLength: 4 }),
        fc.option(fc.bigInt({ min: 0n, max: 2_000n }), { nil: undefined }),
        fc.boolean(),
        fc.nat(5_000),
        fc.nat(),
        (replicas: ReplicaState[], required, writes, maxLagMs, seed) => {
          const eligible = (r: ReplicaState) => r.up && r.lagMs <= maxLagMs && (required === undefined || r.replayed >= required);
          const target = chooseReadTarget(replicas, { required, writes, maxLagMs, pick: (count) => seed % count });
          if (target.kind === 'replica') {
            expect(writes).toBe(false);
            expect(eligible(replicas[target.index]!)).toBe(true);
            return;
          }
          const expected =
            replicas.length === 0
              ? 'none'
              : writes
                ? 'write'
                : replicas.some(eligible)
                  ? 'an eligible replica'
                  : replicas.some((r) => r.up && r.lagMs <= maxLagMs)
                    ? 'behind'
                    : replicas.some((r) => r.up)
                      ? 'lagging'
                      : 'down';
          expect(target.reason).toBe(expected);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('spreads reads over every eligible replica', () => {
    const replicas = [0, 1, 2].map(() => ({ up: true, replayed: 10n, lagMs: 0 }));
    const chosen = new Set([0, 1, 2].map((i) => (chooseReadTarget(replicas, { maxLagMs: 1, pick: () => i }) as { index: number }).index));
    expect(chosen).toEqual(new Set([0, 1, 2]));
  });
});

describe('createLagClock', () => {
  it("gives a replica's lag as the age of the oldest primary position it has not replayed", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ dt: fc.nat(1_000), dlsn: fc.bigInt({ min: 0n, max: 50n }) }), { minLength: 1, maxLength: 40 }),
        fc.bigInt({ min: 0n, max: 2_500n }),
        fc.nat(1_000),
        (steps, replayed, after) => {
          const windowMs = 1_000_000; // longer than any history here: nothing pruned
          const clock = createLagClock(windowMs);
          const history: Array<{ at: number; lsn: bigint }> = [];
          let at = 0;
          let lsn = 0n;
          for (const { dt, dlsn } of steps) {
            at += dt;
            lsn += dlsn;
            clock.record(at, lsn);
            history.push({ at, lsn });
          }
          const now = at + after;
          const firstPast = history.find((sample) => sample.lsn > replayed);
          expect(clock.lagMs(replayed, now)).toBe(firstPast ? now - firstPast.at : 0);
          expect(clock.latest()).toBe(lsn);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('keeps no sample older than its window but the one that bounds the lag from below', () => {
    const clock = createLagClock(1_000);
    clock.record(0, 10n);
    clock.record(500, 20n);
    clock.record(5_000, 30n);
    // The replica never passed 10: it lags at least since the oldest sample kept.
    expect(clock.lagMs(5n, 5_000)).toBe(4_500);
    expect(clock.lagMs(30n, 5_000)).toBe(0);
  });
});
