/**
 * The relay when Redis does not take what it publishes (TEST_POSTGRES_URL, TEST_REDIS_URL): with
 * a Redis client pointed at a port nobody listens on, committed events stay unpublished (each
 * attempt rolls back); a relay whose Redis answers publishes them, and a hub listening on that
 * Redis receives them, in order. The shared Redis itself is never stopped here.
 */
import { connectRedis, type RedisClient } from '@tessera/service-kit';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { createEventHub, createRedisBus, startRelay, type EventBus } from '../../src/index.js';
import { commitEvents, openEventsDatabase, silent, take, testMetrics, type EventsDatabase } from '../fixtures/events-database.js';
import { createTestDatabase, type TestDatabase } from '../fixtures/test-database.js';

const REDIS_URL = process.env.TEST_REDIS_URL;
if (!REDIS_URL) throw new Error('TEST_REDIS_URL is not set: run the tests with `pnpm test`, which starts Redis.');

let database: TestDatabase;
let events: EventsDatabase;
beforeAll(async () => {
  database = await createTestDatabase('relay_bus_down');
  events = await openEventsDatabase(database.url);
}, 60_000);
afterAll(async () => {
  await events?.close();
  await database?.drop();
});

/** A port that was free a moment ago: nothing listens on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function redisAt(url: string): RedisClient {
  const redis = connectRedis({ url, timeoutMs: 250, logger: silent });
  onTestFinished(() => void redis.disconnect());
  return redis;
}

function relayOn(bus: EventBus) {
  const measured = testMetrics();
  const relay = startRelay({
    db: events.db,
    bus,
    metrics: measured.metrics,
    logger: silent,
    transaction: { maxWait: 2_000, timeout: 5_000 },
    intervalMs: 50,
  });
  onTestFinished(() => relay.close());
  return { relay, ...measured };
}

const unpublished = async (topic: string) =>
  Number(
    (await events.db.$queryRaw<Array<{ n: bigint }>>`SELECT count(*) AS n FROM events WHERE topic = ${topic} AND published_at IS NULL`)[0]!
      .n,
  );

describe('a bus that does not take a batch', () => {
  it('leaves the events unpublished, and they are published, in order, once a bus takes them', async () => {
    const channel = `relay-down-${Date.now()}:events:products`;
    const topic = 'down:1';
    const listening = redisAt(REDIS_URL);
    const measured = testMetrics();
    const hub = createEventHub({
      sql: events.db,
      bus: createRedisBus({ redis: listening, channel, logger: silent }),
      metrics: measured.metrics,
      logger: silent,
      catchupIntervalMs: 3_600_000,
    });
    onTestFinished(() => hub.close());
    const subscriber = await hub.subscribe(topic);
    // Pub/sub keeps nothing for a listener not yet subscribed: wait for the hub's.
    await expect.poll(async () => ((await listening.pubsub('NUMSUB', channel)) as [string, number])[1]).toBe(1);

    const down = relayOn(createRedisBus({ redis: redisAt(`redis://127.0.0.1:${await closedPort()}`), channel, logger: silent }));
    await commitEvents(events.db, topic, ['a', 'b', 'c']);
    down.relay.wake();
    await vi.waitFor(async () => expect(await down.value('events_publish_failures_total')).toBeGreaterThanOrEqual(3), { timeout: 10_000 });
    expect(await unpublished(topic)).toBe(3);
    await down.relay.close();

    // Redis is back (a relay whose client reaches it): the same events go out, once, in order.
    const up = relayOn(createRedisBus({ redis: redisAt(REDIS_URL), channel, logger: silent }));
    await vi.waitFor(async () => expect(await unpublished(topic)).toBe(0), { timeout: 10_000 });
    expect(await up.value('events_published_total')).toBe(3);
    expect(await take(subscriber, 3)).toEqual([1, 2, 3]);
    expect(await measured.value('events_delivered_total', { source: 'bus' })).toBe(3);
  }, 60_000);
});
