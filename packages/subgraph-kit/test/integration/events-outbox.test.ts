/**
 * The outbox on the real PostgreSQL and Redis (TEST_POSTGRES_URL, TEST_REDIS_URL), as two
 * processes run it (two events runtimes on one database and one Redis, each with its relay and
 * hub): generated sequences of writes, some concurrent on one topic, some failing after
 * recording their event in their transaction. Every subscriber, in either process, receives
 * exactly the committed events, each once, in each topic's commit order, with seqs 1, 2, 3 …
 * Rolled-back writes publish nothing.
 */
import fc from 'fast-check';
import { connectRedis, type RedisClient } from '@tessera/service-kit';
import { createTestDatabase, type TestDatabase } from '../fixtures/test-database.js';
import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createIdempotentWrites, startEvents, type EventsRuntime, type TopicEvent } from '../../src/index.js';
import { openEventsDatabase, silent, type EventsDatabase } from '../fixtures/events-database.js';

const REDIS_URL = process.env.TEST_REDIS_URL;
if (!REDIS_URL) throw new Error('TEST_REDIS_URL is not set: run the tests with `pnpm test`, which starts Redis.');

let database: TestDatabase;
let events: EventsDatabase;
let redis: RedisClient[];
let runtimes: EventsRuntime[];
beforeAll(async () => {
  database = await createTestDatabase('events_outbox');
  events = await openEventsDatabase(database.url);
  const keyPrefix = `outbox-${Date.now()}:`;
  redis = [0, 1].map(() => connectRedis({ url: REDIS_URL, timeoutMs: 1_000, logger: silent }));
  runtimes = redis.map((client) =>
    startEvents({
      name: 'products',
      db: events.db,
      redis: client,
      keyPrefix,
      logger: silent,
      settings: { relayIntervalMs: 200, retentionSeconds: 86_400, catchupIntervalMs: 500 },
      transaction: { maxWait: 5_000, timeout: 10_000 },
    }),
  );
}, 60_000);
afterAll(async () => {
  await Promise.all((runtimes ?? []).map((runtime) => runtime.close()));
  await Promise.all((redis ?? []).map((client) => client.quit()));
  await events?.close();
  await database?.drop();
});

/** One write of a generated sequence: its topic, and whether it fails after recording its event. */
interface Write {
  topic: number;
  fails: boolean;
}
/** Groups of writes; the writes of a group run at once. */
const sequences = fc.array(fc.array(fc.record({ topic: fc.nat(2), fails: fc.boolean() }), { minLength: 1, maxLength: 4 }), {
  minLength: 1,
  maxLength: 6,
});

/** A write as a mutation does it: through the request's idempotent writes, its event recorded in its transaction. */
async function write(runtime: EventsRuntime, topic: string, payload: string, fails: boolean): Promise<boolean> {
  const request = { identity: { sub: undefined, scopes: new Set<string>() }, events: runtime.forRequest() };
  const writes = createIdempotentWrites(events.db, request, { acquireTimeoutMs: 5_000, statementTimeoutMs: 10_000 });
  try {
    await writes.once('write', async (tx) => {
      await request.events.record(tx, topic, payload);
      if (fails) throw new GraphQLError('failed after recording its event');
    });
    return true;
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    return false;
  }
}

/** Everything an iterator yields, kept as it comes. */
function collect(iterator: AsyncIterableIterator<TopicEvent>): TopicEvent[] {
  const received: TopicEvent[] = [];
  void (async () => {
    for await (const event of iterator) received.push(event);
  })();
  return received;
}

let run = 0;
describe('the outbox, on PostgreSQL and Redis', () => {
  it('delivers exactly the committed writes to every subscriber, once each, in commit order per topic, seqs without gaps', async () => {
    await fc.assert(
      fc.asyncProperty(sequences, async (groups: Write[][]) => {
        const topics = [0, 1, 2].map((i) => `outbox:${++run}:${i}`);
        // Two subscribers per topic in each process, from the topic's start.
        const iterators = await Promise.all(
          topics.flatMap((topic) => runtimes.flatMap(({ hub }) => [hub.subscribe(topic), hub.subscribe(topic)])),
        );
        const received = iterators.map(collect);
        const committed = new Map<string, string[]>(topics.map((topic) => [topic, []]));
        let n = 0;
        for (const group of groups) {
          await Promise.all(
            group.map(async ({ topic, fails }) => {
              const payload = `w${++n}`;
              // Writes go through either process; the order each topic's writes resolve in is their commit order.
              if (await write(runtimes[n % 2]!, topics[topic]!, payload, fails)) committed.get(topics[topic]!)!.push(payload);
            }),
          );
        }
        // A last committed write on each topic: once it arrives, everything before it has.
        for (const topic of topics) {
          await write(runtimes[0]!, topic, 'end', false);
          committed.get(topic)!.push('end');
        }
        for (const [i, events] of received.entries()) {
          const topic = topics[Math.floor(i / 4)]!;
          const expected = committed.get(topic)!;
          await vi.waitFor(() => expect(events.at(-1)?.payload).toBe('end'), { timeout: 10_000, interval: 20 });
          expect(events.map((event) => event.payload)).toEqual(expected);
          expect(events.map((event) => event.seq)).toEqual(expected.map((_, k) => k + 1));
        }
        for (const iterator of iterators) await iterator.return?.();
      }),
      { numRuns: 30 },
    );
  }, 120_000);
});
