/**
 * Subscriptions scaled out with the real parts: two gateways and two replicas of each subgraph
 * behind HAProxy, PostgreSQL behind PgBouncer, events through Redis. Every committed review must
 * reach every subscriber of its product exactly once, in commit order — with nothing disturbed,
 * with Redis restarted and a reviews replica killed mid-run, and with a gateway stopped under its
 * subscribers; a client that stops reading is cut off without holding the others back.
 */
import { randomBytes } from 'node:crypto';
import { metricSum, restartRedis, scrapeMetrics, sqlRows, testToken, waitUntil } from '@tessera/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { graphqlUrl, REPLICAS, startCluster, type Cluster } from './support/cluster.js';
import { subscribeResuming, type ResumingSubscriber } from './support/subscriber.js';

const REVIEW_ADDED = 'subscription ($productId: ID!) { reviewAdded(productId: $productId) { id body author { username } product { id } } }';
type Added = { reviewAdded: { id: string; body: string; product: { id: string } | null } };

let cluster: Cluster;
let products: string[];
let tokens: string[];

beforeAll(async () => {
  cluster = await startCluster({
    prefix: 'subscriptions',
    gatewayEnv: { CACHE_MODE: 'off', SUBSCRIPTIONS_MAX_BUFFERED_BYTES: '65536' },
  });
  const reviews = cluster.dbs.byName.reviews.url;
  products = (await sqlRows<{ product_id: string }>(reviews, 'SELECT DISTINCT product_id FROM reviews ORDER BY product_id LIMIT 4')).map(
    (row) => row.product_id,
  );
  const users = await sqlRows<{ id: string }>(cluster.dbs.byName.users.url, 'SELECT id FROM users ORDER BY id LIMIT 5');
  tokens = await Promise.all(users.map((user) => testToken({ sub: user.id })));
}, 300_000);

afterAll(() => cluster?.stop(), 60_000);

/** Options of {@link writeReviews}. */
interface Writes {
  concurrency?: number;
  /** Runs once a third of the writes are under way; awaited with them. */
  midway?: () => Promise<void>;
  /** Only this product (default: round robin over all). */
  product?: string;
  /** Characters added to each body (a review's text takes up to 5,000). */
  pad?: number;
}

/** Writes `count` reviews through HAProxy, `concurrency` at a time; each retried with its key until it answers. */
async function writeReviews(label: string, count: number, { concurrency = 16, midway, product, pad = 0 }: Writes = {}) {
  let next = 0;
  let disturbed: Promise<void> | undefined;
  const writer = async () => {
    for (let i = next++; i < count; i = next++) {
      if (i === Math.floor(count / 3) && midway) disturbed = midway();
      const body = `${label} ${i} ${'x'.repeat(pad)}`.trim();
      await writeOne(body, product ?? products[i % products.length]!, tokens[i % tokens.length]!, `${label}-${i}`.replaceAll(' ', '-'));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, writer));
  await disturbed;
}

async function writeOne(body: string, productId: string, token: string, key: string): Promise<void> {
  const request = {
    query: 'mutation ($input: CreateReviewInput!) { createReview(input: $input) { id } }',
    variables: { input: { productId, rating: 4, body } },
  };
  let last = '';
  await waitUntil(
    async () => {
      const response = await fetch(graphqlUrl(cluster.ports.gateway.front), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key },
        body: JSON.stringify(request),
      }).catch((error: unknown) => ((last = String(error)), undefined));
      const answer = response && ((await response.json()) as { data?: { createReview?: { id: string } } });
      if (response) last = `${response.status} ${JSON.stringify(answer)}`;
      return answer?.data?.createReview?.id !== undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100, what: `review "${body}" to be written` },
  ).catch((error: Error) => {
    throw new Error(`${error.message}; last answer: ${last}`);
  });
}

/** The reviews written with `label`, per product, in commit order (the order of their events' seq). */
async function committed(label: string): Promise<Map<string, string[]>> {
  const rows = await sqlRows<{ topic: string; review: string }>(
    cluster.dbs.byName.reviews.url,
    `SELECT topic, payload->>'id' AS review FROM events WHERE topic LIKE 'reviewAdded:%' AND payload->>'body' LIKE $1 ORDER BY topic, seq`,
    [`${label} %`],
  );
  const byProduct = new Map<string, string[]>();
  for (const { topic, review } of rows) {
    const product = topic.slice('reviewAdded:'.length);
    byProduct.set(product, [...(byProduct.get(product) ?? []), review]);
  }
  return byProduct;
}

/** Subscribers of `product` on each gateway replica (or, with `front`, through HAProxy), each resuming as an EventSource does. */
function subscribers(product: string, ports: number[]): Array<ResumingSubscriber<Added>> {
  return ports.map((port) => subscribeResuming<Added>(graphqlUrl(port), { query: REVIEW_ADDED, variables: { productId: product } }));
}

/**
 * Writes marker reviews per product until every subscriber has one: from then on, all are
 * subscribed. (A subscription started without a resume point gets what is committed after it
 * began, so one marker may come too early for a subscriber still connecting.) Markers are
 * `<label>-marker`, outside what {@link committed} counts for the label.
 */
async function untilSubscribed(label: string, all: Map<string, Array<ResumingSubscriber<Added>>>) {
  const marker = `${label}-marker`;
  for (const [product, group] of all) {
    let written = 0;
    await waitUntil(
      async () => {
        if (group.every((s) => s.events.some((e) => e.result.data?.reviewAdded.body.startsWith(marker)))) return true;
        await writeOne(`${marker} ${written}`, product, tokens[0]!, `${marker}-${product}-${written++}`);
        return false;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: `every subscriber of ${product} to be subscribed` },
    );
  }
}

/** Each subscriber got exactly the reviews committed with `label` for its product, each once, in commit order, with no error. */
async function expectExactlyOnce(label: string, all: Map<string, Array<ResumingSubscriber<Added>>>) {
  const expected = await committed(label);
  for (const [product, group] of all) {
    const reviews = expected.get(product) ?? [];
    expect(reviews.length, `reviews committed for ${product}`).toBeGreaterThan(0);
    for (const subscriber of group) {
      const received = () =>
        subscriber.events.filter((e) => e.result.data?.reviewAdded.body.startsWith(`${label} `)).map((e) => e.result.data!.reviewAdded.id);
      await waitUntil(async () => received().length >= reviews.length, {
        timeoutMs: 30_000,
        intervalMs: 50,
        what: `all events for ${product}`,
      });
      expect(received()).toEqual(reviews);
      expect(subscriber.events.filter((e) => e.result.errors)).toEqual([]);
      // Ids are the topic's seq: one more each time, none repeated, none skipped.
      const ids = subscriber.events.map((e) => Number(e.id));
      expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
    }
  }
}

describe('nothing lost, nothing duplicated', () => {
  const run = async (midway?: () => Promise<void>) => {
    const label = `run-${randomBytes(3).toString('hex')}`;
    const all = new Map(
      products.map((product) => [
        product,
        subscribers(
          product,
          REPLICAS.map((r) => cluster.ports.gateway[r]),
        ),
      ]),
    );
    try {
      await untilSubscribed(label, all);
      await writeReviews(label, 1_000, { midway });
      await expectExactlyOnce(label, all);
    } finally {
      for (const group of all.values()) for (const subscriber of group) subscriber.close();
    }
    return all;
  };

  it('1,000 writes over two reviews replicas: a subscriber on each gateway sees every event of its product once, in commit order', async () => {
    await run();
  }, 180_000);

  it('the same with Redis restarted and a reviews replica killed mid-run: the subscriptions resume', async () => {
    await run(async () => {
      await restartRedis();
      await cluster.replicas.reviews.b.stop('SIGKILL');
      await cluster.marked('DOWN', ['reviews/b']);
      cluster.replicas.reviews.b = await cluster.start('reviews', 'b');
    });
    await cluster.allUp();
  }, 240_000);
});

describe('gateways come and go under subscribers', () => {
  it('SIGTERM of a gateway moves its subscribers to the other, which resume after their last event: none lost', async () => {
    const label = `drain-${randomBytes(3).toString('hex')}`;
    const product = products[0]!;
    const all = new Map([
      [
        product,
        subscribers(
          product,
          Array.from({ length: 6 }, () => cluster.ports.gateway.front),
        ),
      ],
    ]);
    try {
      await untilSubscribed(label, all);
      await writeReviews(label, 300, {
        concurrency: 4,
        midway: async () => {
          const stopping = cluster.replicas.gateway.a;
          expect(await stopping.stop('SIGTERM'), stopping.logs()).toBe(0);
          cluster.replicas.gateway.a = await cluster.start('gateway', 'a');
        },
      });
      await expectExactlyOnce(label, all);
      // HAProxy spread them over both gateways: those on the one stopped reconnected.
      expect(all.get(product)!.some((subscriber) => subscriber.reconnects > 0)).toBe(true);
    } finally {
      for (const subscriber of all.get(product)!) subscriber.close();
    }
    await cluster.allUp();
  }, 180_000);
});

describe('a slow consumer', () => {
  it('is cut off (1013 on its socket) once SUBSCRIPTIONS_MAX_BUFFERED_BYTES wait for it, while a subscriber beside it gets every event', async () => {
    const label = `slow-${randomBytes(3).toString('hex')}`;
    const product = products[1]!;
    const port = cluster.ports.gateway.a;
    const healthy = subscribers(product, [port]);
    const all = new Map([[product, healthy]]);
    // Large events: each carries the product's latest 50 reviews, of 4,000 characters each once written here.
    const big = `subscription ($productId: ID!) { reviewAdded(productId: $productId) { id product { reviews(first: 50) { edges { node { id body } } } } } }`;
    const slow = new WebSocket(graphqlUrl(port).replace('http', 'ws'), 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => slow.once('close', (code) => resolve(code)));
    await new Promise((resolve, reject) => (slow.once('open', resolve), slow.once('error', reject)));
    slow.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${tokens[0]}` } }));
    await new Promise((resolve) => slow.once('message', resolve));
    slow.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: big, variables: { productId: product } } }));
    const slowEvents: unknown[] = [];
    slow.on('message', (data: Buffer) => slowEvents.push(JSON.parse(data.toString('utf8'))));
    try {
      await untilSubscribed(label, all);
      // It is subscribed too, with no error: markers (outside the label's count) until one reaches it — its
      // subscription, a document of its own, may have reached the subgraph after the others' markers.
      let probes = 0;
      await waitUntil(
        async () => {
          if (slowEvents.length > 0) return true;
          await writeOne(`${label}-marker slow ${probes}`, product, tokens[0]!, `${label}-marker-slow-${probes++}`);
          return false;
        },
        { timeoutMs: 30_000, intervalMs: 200, what: 'the slow consumer to get an event' },
      );
      const [first] = slowEvents as Array<{ id?: string; type?: string; payload?: { data?: { reviewAdded?: { id?: unknown } } } }>;
      expect([first?.id, first?.type, typeof first?.payload?.data?.reviewAdded?.id]).toEqual(['1', 'next', 'string']);
      // The client stops reading: what the gateway sends piles up in the kernel's buffers, then in the gateway's.
      slow.pause();
      const dropped = async () =>
        metricSum(await scrapeMetrics(cluster.metricsPorts.a), 'subscription_consumers_dropped_total', { reason: 'slow' });
      const before = await dropped();
      for (let round = 0; round < 20 && (await dropped()) === before; round += 1) {
        await writeReviews(`${label} ${round}`, 50, { concurrency: 8, product, pad: 4_000 });
      }
      expect(await dropped()).toBe(before + 1);
      // Reading again, the client finds the reason at the end of what was sent: reconnect and resume.
      slow.resume();
      expect(await closed).toBe(1013);
      await expectExactlyOnce(label, all);
    } finally {
      slow.terminate();
      for (const subscriber of healthy) subscriber.close();
    }
  }, 180_000);
});
