/**
 * The hub and the outbox on an embedded database (PGlite), with a bus the test delivers by hand:
 * per-topic seq order under rollbacks; each subscriber gets every event of its topic once, in
 * order, whatever the bus repeats, reorders or loses (gaps filled from the database, the rest by
 * catch-up); one read serves all of a topic's subscribers; resumption, and refusing what is no
 * longer kept; bounded buffers.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createEventHub, readTopic, type EventHubOptions } from '../../src/index.js';
import {
  commitEvents,
  handBus,
  openEventsDatabase,
  rolledBack,
  silent,
  take,
  testMetrics,
  type EventsDatabase,
} from '../fixtures/events-database.js';

let events: EventsDatabase;
beforeAll(async () => {
  events = await openEventsDatabase();
}, 60_000);
afterAll(() => events?.close());

let topics = 0;
/** A topic of its own for each test and run. */
const freshTopic = () => `test:${++topics}`;

/** A hub on the test database and a hand bus; closed after the test. */
function startHub(options: Partial<EventHubOptions> = {}) {
  const bus = handBus();
  const measured = testMetrics();
  const hub = createEventHub({ sql: events.db, bus, metrics: measured.metrics, logger: silent, catchupIntervalMs: 3_600_000, ...options });
  onTestFinished(() => hub.close());
  return { hub, bus, ...measured };
}

describe('recording', () => {
  it('numbers each topic 1, 2, 3 … in commit order; a rolled-back write takes no number and leaves no row', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ topic: fc.constantFrom(0, 1, 2), commit: fc.boolean() }), { maxLength: 25 }),
        async (writes) => {
          const names = [freshTopic(), freshTopic(), freshTopic()];
          const committed = new Map<string, number[]>(names.map((name) => [name, []]));
          for (const [i, { topic, commit }] of writes.entries()) {
            if (commit) {
              await commitEvents(events.db, names[topic]!, [i]);
              committed.get(names[topic]!)!.push(i);
            } else {
              await rolledBack(events.db, names[topic]!, i);
            }
          }
          for (const name of names) {
            const stored = await readTopic(events.db, name, 0, 100);
            expect(stored.map((event) => event.seq)).toEqual(stored.map((_, i) => i + 1));
            expect(stored.map((event) => event.payload)).toEqual(committed.get(name));
          }
        },
      ),
      { numRuns: 15 },
    );
  }, 60_000);
});

describe('the hub', () => {
  it('hands each subscriber every event once, in order, whatever the bus repeats, reorders or loses', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.nat(11), { maxLength: 30 }),
        fc.integer({ min: 1, max: 3 }),
        async (count, deliveries, subscribers) => {
          const topic = freshTopic();
          const { hub, bus } = startHub({ catchupIntervalMs: 20 });
          const iterators = await Promise.all(Array.from({ length: subscribers }, () => hub.subscribe(topic)));
          await commitEvents(
            events.db,
            topic,
            Array.from({ length: count }, (_, i) => i),
          );
          const stored = await readTopic(events.db, topic, 0, 100);
          // The bus delivers a generated jumble: some events twice, some out of order, some never.
          for (const index of deliveries) if (index < count) bus.deliver([stored[index]!]);
          for (const iterator of iterators) expect(await take(iterator, count)).toEqual(stored.map((event) => event.seq));
          await hub.close();
        },
      ),
      { numRuns: 25 },
    );
  }, 60_000);

  it("fills a gap from the database at once, with one read for all of the topic's subscribers", async () => {
    const topic = freshTopic();
    let reads = 0;
    const counting = {
      $executeRaw: events.db.$executeRaw.bind(events.db),
      $queryRaw: ((query: TemplateStringsArray, ...values: unknown[]) => {
        if (query.join('?').includes('FROM events')) reads++;
        return events.db.$queryRaw(query, ...values);
      }) as typeof events.db.$queryRaw,
    };
    const { hub, bus, value } = startHub({ sql: counting });
    const iterators = await Promise.all(Array.from({ length: 5 }, () => hub.subscribe(topic)));
    await commitEvents(events.db, topic, ['a', 'b', 'c']);
    const [, , third] = await readTopic(events.db, topic, 0, 10);
    reads = 0;
    // Only the third arrives by bus: the first two are read, once.
    bus.deliver([third!]);
    for (const iterator of iterators) expect(await take(iterator, 3)).toEqual([1, 2, 3]);
    expect(reads).toBe(1);
    expect(await value('events_delivered_total', { source: 'database' })).toBe(15);
  });

  it('catches up on an event whose bus message never came', async () => {
    const topic = freshTopic();
    const { hub, value } = startHub({ catchupIntervalMs: 25 });
    const iterator = await hub.subscribe(topic);
    await commitEvents(events.db, topic, ['lost']);
    expect(await take(iterator, 1)).toEqual([1]);
    expect(await value('events_delivered_total', { source: 'database' })).toBe(1);
  });

  it('starts after the current event without a resume point; after `after` with one', async () => {
    const topic = freshTopic();
    await commitEvents(events.db, topic, ['a', 'b', 'c']);
    const { hub, bus, value } = startHub();
    const fromNow = await hub.subscribe(topic);
    const resumed = await hub.subscribe(topic, { after: 1 });
    expect(await take(resumed, 2)).toEqual([2, 3]);
    await commitEvents(events.db, topic, ['d']);
    bus.deliver(await readTopic(events.db, topic, 3, 10));
    expect(await take(fromNow, 1)).toEqual([4]);
    expect(await take(resumed, 1)).toEqual([4]);
    expect(await value('events_resumptions_total', { outcome: 'resumed' })).toBe(1);
  });

  it('refuses a resume point whose events are no longer kept, or that the topic never reached: EVENTS_EXPIRED', async () => {
    const topic = freshTopic();
    await commitEvents(events.db, topic, ['a', 'b', 'c', 'd']);
    // What pruning does to events past the retention.
    await events.db.$executeRaw`DELETE FROM events WHERE topic = ${topic} AND seq <= 2`;
    const { hub, value } = startHub();
    await expect(hub.subscribe(topic, { after: 0 })).rejects.toMatchObject({
      extensions: { code: 'EVENTS_EXPIRED', events: { after: 0, oldest: 3, latest: 4 } },
    });
    await expect(hub.subscribe(topic, { after: 9 })).rejects.toMatchObject({ extensions: { code: 'EVENTS_EXPIRED' } });
    // Still kept: everything after 2 is there; after 4, nothing is missing.
    expect(await take(await hub.subscribe(topic, { after: 2 }), 2)).toEqual([3, 4]);
    await hub.subscribe(topic, { after: 4 });
    expect(await value('events_resumptions_total', { outcome: 'expired' })).toBe(2);
  });

  it('replays more than a subscription buffers as its consumer reads, and ends one that does not keep up with live events', async () => {
    const topic = freshTopic();
    await commitEvents(
      events.db,
      topic,
      Array.from({ length: 25 }, (_, i) => i),
    );
    const { hub, bus } = startHub({ maxBuffered: 4, readBatch: 3 });
    // A replay of 25 through a buffer of 4: it waits for room, nothing is lost.
    expect(await take(await hub.subscribe(topic, { after: 0 }), 25)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    // A live subscriber that reads nothing: four events are held for it, the fifth ends it.
    const slow = await hub.subscribe(topic);
    await commitEvents(
      events.db,
      topic,
      Array.from({ length: 5 }, (_, i) => i),
    );
    bus.deliver(await readTopic(events.db, topic, 25, 10));
    expect(await take(slow, 4)).toEqual([26, 27, 28, 29]);
    await expect(slow.next()).rejects.toMatchObject({ extensions: { code: 'SUBSCRIBER_TOO_SLOW' } });
  });

  it('forgets a subscription its consumer closes, even while it waits for an event', async () => {
    const { hub, value } = startHub();
    const iterator = await hub.subscribe(freshTopic());
    expect(await value('events_subscriptions_active')).toBe(1);
    const waiting = iterator.next();
    await iterator.return?.();
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(await value('events_subscriptions_active')).toBe(0);
  });
});
