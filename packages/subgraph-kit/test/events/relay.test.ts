/**
 * The relay on an embedded database (PGlite): committed events go to the bus in id order and are
 * marked published; a bus that does not take a batch leaves it unpublished, and it goes out once
 * the bus takes it again; published events past the retention are pruned.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { readTopic, startRelay, type RelayOptions } from '../../src/index.js';
import { commitEvents, handBus, openEventsDatabase, silent, testMetrics, type EventsDatabase } from '../fixtures/events-database.js';

let events: EventsDatabase;
beforeAll(async () => {
  events = await openEventsDatabase();
}, 60_000);
afterAll(() => events?.close());

const unpublished = async () =>
  (await events.db.$queryRaw<Array<{ n: bigint }>>`SELECT count(*) AS n FROM events WHERE published_at IS NULL`)[0]!.n;

function start(options: Partial<RelayOptions> = {}) {
  const bus = handBus();
  const measured = testMetrics();
  const relay = startRelay({
    db: events.db,
    bus,
    metrics: measured.metrics,
    logger: silent,
    transaction: { maxWait: 2_000, timeout: 5_000 },
    intervalMs: 3_600_000,
    ...options,
  });
  onTestFinished(() => relay.close());
  return { relay, bus, ...measured };
}

describe('the relay', () => {
  it('publishes committed events in id order when woken, and marks them published', async () => {
    const { relay, bus, value } = start();
    await vi.waitFor(async () => expect(await unpublished()).toBe(0n));
    await commitEvents(events.db, 'relay:a', ['a1', 'a2']);
    await commitEvents(events.db, 'relay:b', ['b1']);
    await commitEvents(events.db, 'relay:a', ['a3']);
    relay.wake();
    await vi.waitFor(async () => expect(await unpublished()).toBe(0n));
    expect(bus.published.flat().map((event) => event.payload)).toEqual(['a1', 'a2', 'b1', 'a3']);
    expect(await value('events_published_total')).toBe(4);
  });

  it('leaves a batch the bus does not take unpublished, and publishes it once the bus takes it again', async () => {
    const { relay, bus, value } = start({ intervalMs: 20 });
    await vi.waitFor(async () => expect(await unpublished()).toBe(0n));
    bus.fail = true;
    await commitEvents(events.db, 'relay:down', ['x', 'y']);
    relay.wake();
    await vi.waitFor(async () => expect(await value('events_publish_failures_total')).toBeGreaterThanOrEqual(2));
    expect(await unpublished()).toBe(2n);
    expect(bus.published).toEqual([]);
    bus.fail = false;
    await vi.waitFor(async () => expect(await unpublished()).toBe(0n));
    expect(bus.published.flat().map((event) => event.payload)).toEqual(['x', 'y']);
  });

  it('prunes published events older than the retention, and nothing unpublished', async () => {
    await commitEvents(events.db, 'relay:old', ['published', 'unpublished']);
    const { bus } = start({ retentionSeconds: 60 });
    await vi.waitFor(async () => expect(bus.published.flat().map((event) => event.payload)).toContain('unpublished'));
    await events.db.$executeRaw`UPDATE events SET created_at = now() - interval '2 minutes' WHERE topic = 'relay:old'`;
    await events.db.$executeRaw`UPDATE events SET published_at = NULL WHERE topic = 'relay:old' AND seq = 2`;
    bus.fail = true;
    // A relay starting prunes at once (then every minute); the bus refusing keeps the unpublished one.
    start({ retentionSeconds: 60, bus });
    await vi.waitFor(async () => expect((await readTopic(events.db, 'relay:old', 0, 10)).map((event) => event.seq)).toEqual([2]));
  });
});
