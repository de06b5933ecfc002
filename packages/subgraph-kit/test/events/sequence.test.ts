/** What one subscriber takes of a run of events, whatever order and repeats the run comes in. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { takeInOrder, type TopicEvent } from '../../src/index.js';

const event = (seq: number): TopicEvent => ({ topic: 't', seq, payload: seq, createdAt: new Date(0) });

/**
 * Runs as a bus delivers them: a topic's events 1 … n, some lost, some repeated, in any order,
 * and some stray seqs beyond.
 */
const runs = fc
  .tuple(fc.nat(30), fc.array(fc.nat(40), { maxLength: 3 }), fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 10 }))
  .chain(([n, lost, extra]) => {
    const seqs = [...Array.from({ length: n }, (_, i) => i + 1).filter((seq) => !lost.includes(seq)), ...extra];
    return fc.shuffledSubarray(seqs, { minLength: seqs.length });
  });

describe('takeInOrder', () => {
  it('takes each next seq once, in order, within its room; stops at a gap or when full', () => {
    fc.assert(
      fc.property(fc.nat(20), fc.nat(30), runs, (last, room, seqs) => {
        const taken = takeInOrder(last, room, seqs.map(event));
        const got = taken.events.map((e) => e.seq);
        // Contiguous from last + 1, never more than room.
        expect(got).toEqual(got.map((_, i) => last + 1 + i));
        expect(got.length).toBeLessThanOrEqual(room);
        expect(taken.last).toBe(last + got.length);
        const present = new Set(seqs);
        const next = taken.last + 1;
        // It stopped for a reason: nothing more there, no room for what is, or a gap before what is.
        const later = seqs.some((seq) => seq > next);
        if (present.has(next)) expect(taken.full).toBe(true);
        else expect(taken.gap).toBe(later);
        expect(taken.full && taken.gap).toBe(false);
      }),
    );
  });

  it('skips what was delivered before', () => {
    expect(takeInOrder(3, 10, [1, 2, 3, 4, 4, 5].map(event)).events.map((e) => e.seq)).toEqual([4, 5]);
    expect(takeInOrder(3, 10, [2, 3].map(event))).toMatchObject({ events: [], last: 3, gap: false, full: false });
  });
});
