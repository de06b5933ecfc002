import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createChannel, createSubscriberCounts } from '../src/subscriptions/index.js';

describe('createSubscriberCounts', () => {
  it('for any sequence of subscribes and leaves, admits exactly what a model of the two limits admits', () => {
    const op = fc.record({
      kind: fc.constantFrom('reserve', 'reserve', 'release'),
      caller: fc.constantFrom('a', 'b', 'c', '@10.0.0.1'),
      transport: fc.constantFrom('ws', 'sse'),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(op, { maxLength: 60 }),
        (maxPerCaller, maxTotal, ops) => {
          const counts = createSubscriberCounts({ maxPerCaller, maxTotal });
          const held: Array<{ caller: string; transport: string }> = [];
          for (const { kind, caller, transport } of ops) {
            if (kind === 'release') {
              const at = held.findIndex((who) => who.caller === caller);
              if (at === -1) continue;
              counts.release(held.splice(at, 1)[0]!);
              continue;
            }
            const mine = held.filter((who) => who.caller === caller).length;
            const expected = mine >= maxPerCaller ? 'SUBSCRIPTION_LIMIT' : held.length >= maxTotal ? 'SERVICE_OVERLOADED' : undefined;
            const refusal = counts.reserve({ caller, transport });
            expect(refusal?.extensions.code).toBe(expected);
            if (!refusal) held.push({ caller, transport });
          }
          const byTransport = (transport: string) => held.filter((who) => who.transport === transport).length;
          expect(counts.active()).toEqual({ ws: byTransport('ws'), sse: byTransport('sse') });
        },
      ),
    );
  });
});

describe('createChannel', () => {
  it('hands its reader every value in order, and ends with overflow exactly when the reader is `capacity` behind', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.constantFrom('push', 'read'), { maxLength: 40 }),
        async (capacity, steps) => {
          const channel = createChannel<number>(capacity);
          const reader = channel[Symbol.asyncIterator]();
          const pushed: number[] = [];
          const read: number[] = [];
          let waiting = 0;
          let overflowed = false;
          for (const step of steps) {
            if (step === 'push') {
              const accepted = channel.push(pushed.length);
              expect(accepted).toBe(!overflowed && waiting < capacity);
              if (accepted) {
                pushed.push(pushed.length);
                waiting += 1;
              } else overflowed = true;
            } else if (waiting > 0) {
              const next = await reader.next();
              read.push(next.value as number);
              waiting -= 1;
            }
          }
          expect(read).toEqual(pushed.slice(0, read.length));
          channel.end();
          // What was queued before the end is still read, then the end.
          for (let next = await reader.next(); !next.done; next = await reader.next()) read.push(next.value);
          expect(read).toEqual(pushed);
          expect((await channel.ended).kind).toBe(overflowed ? 'overflow' : 'complete');
        },
      ),
    );
  });
});
