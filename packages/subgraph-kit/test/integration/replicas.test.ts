/**
 * Two replicas of a subgraph with events (two `startSubgraph` on one PostgreSQL database and
 * one Redis, TEST_POSTGRES_URL and TEST_REDIS_URL): a subscriber on one gets every event written
 * through the other, once each, in order; a subscriber whose replica closes mid-stream resumes on
 * the other from the last id it got, and gets exactly the rest.
 */
import { connectRedis, createLogger } from '@tessera/service-kit';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { openStream } from '../fixtures/event-stream-client.js';
import { graphql, productId, startLiveProducts } from '../fixtures/live-products.js';
import { createTestDatabase, type TestDatabase } from '../fixtures/test-database.js';

const REDIS_URL = process.env.TEST_REDIS_URL;
if (!REDIS_URL) throw new Error('TEST_REDIS_URL is not set: run the tests with `pnpm test`, which starts Redis.');

const RENAMED = 'subscription ($id: ID!) { renamed(id: $id) { name } }';
const RENAME = 'mutation ($id: ID!, $name: String!) { rename(id: $id, name: $name) { name } }';

let database: TestDatabase;
let env: Record<string, string>;
beforeAll(async () => {
  database = await createTestDatabase('replicas');
  // The catch-up is made rare: what arrives here comes over Redis from the other replica's relay.
  env = {
    PRODUCTS_DATABASE_URL: database.url,
    REDIS_URL: REDIS_URL,
    REDIS_KEY_PREFIX: `replicas-${Date.now()}:`,
    EVENTS_CATCHUP_INTERVAL_MS: '600000',
  };
}, 60_000);
afterAll(() => database?.drop());

/** Two replicas, started one after the other (the first seeds the database), once both listen on the bus. */
async function replicas() {
  const a = await startLiveProducts(env);
  const b = await startLiveProducts(env);
  onTestFinished(() => Promise.all([a.close(), b.close()]).then(() => undefined));
  const redis = connectRedis({ url: REDIS_URL!, timeoutMs: 1_000, logger: createLogger({ service: 'test', level: 'silent' }) });
  onTestFinished(() => void redis.disconnect());
  const channel = `${env.REDIS_KEY_PREFIX}events:products`;
  await expect.poll(async () => ((await redis.pubsub('NUMSUB', channel)) as [string, number])[1]).toBe(2);
  return { a, b };
}

/** A replica's `events_delivered_total`, by source. */
async function delivered(metricsPort: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const count = (source: string) =>
    Number(new RegExp(`^events_delivered_total\\{source="${source}"[^}]*\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return { bus: count('bus'), database: count('database') };
}

const names = (stream: Awaited<ReturnType<typeof openStream>>) =>
  stream.nexts().map((next) => [next.id, (next.result.data?.renamed as { name: string }).name]);

describe('replicas sharing a database and a Redis', () => {
  it('a subscriber on B gets every event written through A, once each, in order', async () => {
    const { a, b } = await replicas();
    const id = productId(0);
    const stream = await openStream(b.url, { query: RENAMED, variables: { id }, extensions: { lastEventId: '0' } });
    onTestFinished(() => stream.close());
    const written = Array.from({ length: 20 }, (_, i) => `name ${i + 1}`);
    // Some one after the other, some at once: the topic's order is its commit order either way.
    for (const name of written.slice(0, 10)) expect((await graphql(a.url, RENAME, { id, name })).errors).toBeUndefined();
    await Promise.all(written.slice(10).map((name) => graphql(a.url, RENAME, { id, name })));
    await stream.waitForNexts(20);
    const got = names(stream);
    expect(got.map(([seq]) => seq)).toEqual(written.map((_, i) => String(i + 1)));
    expect(got.slice(0, 10).map(([, name]) => name)).toEqual(written.slice(0, 10));
    expect(new Set(got.map(([, name]) => name))).toEqual(new Set(written));
    // All of them came over Redis, none read from the database.
    expect(await delivered(b.metricsPort)).toEqual({ bus: 20, database: 0 });
  }, 60_000);

  it('a subscriber whose replica closes mid-stream resumes on the other after its last id, and gets exactly the rest', async () => {
    const { a, b } = await replicas();
    const id = productId(1);
    const onA = await openStream(a.url, { query: RENAMED, variables: { id }, extensions: { lastEventId: '0' } });
    for (const name of ['one', 'two', 'three']) await graphql(b.url, RENAME, { id, name });
    await onA.waitForNexts(3);
    // A drains: the stream ends with a retry hint and no `complete`; the writes go on through B.
    await a.close();
    await onA.ended;
    expect(onA.events.some((event) => event.event === 'complete')).toBe(false);
    for (const name of ['four', 'five']) await graphql(b.url, RENAME, { id, name });
    const last = onA.nexts().at(-1)!.id!;
    const onB = await openStream(b.url, { query: RENAMED, variables: { id } }, { 'last-event-id': last });
    onTestFinished(() => onB.close());
    await graphql(b.url, RENAME, { id, name: 'six' });
    await onB.waitForNexts(3);
    expect([...names(onA), ...names(onB)]).toEqual([
      ['1', 'one'],
      ['2', 'two'],
      ['3', 'three'],
      ['4', 'four'],
      ['5', 'five'],
      ['6', 'six'],
    ]);
  }, 60_000);
});
