/**
 * `reviewAdded` as the gateway receives it, from the reviews subgraph started as production
 * starts it on PostgreSQL and Redis (TEST_POSTGRES_URL, TEST_REDIS_URL): each review written for
 * the product, as it commits, one `next` event each, in order; a subscriber resuming after an id
 * gets what followed it.
 */
import { request, type IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import { encodeIdentity, signRequest, type Identity } from '@tessera/service-kit';
import { startSubgraph, type RunningSubgraph } from '@tessera/subgraph-kit';
import { createTestDatabase, requireEnv, startEntityOwner, TEST_AUTH, type EntityOwner, type TestDatabase } from '@tessera/test-helpers';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { loadConfig, reviewsSubgraph } from '../../src/index.js';

const [keyId, secret] = TEST_AUTH.signingKeys.split(/:(.*)/) as [string, string];
const productId = randomUUID();
const authorId = randomUUID();
const author: Identity = { sub: authorId, scopes: new Set() };

let database: TestDatabase;
let owners: EntityOwner[];
let subgraph: RunningSubgraph;
let url: string;
beforeAll(async () => {
  owners = [await startEntityOwner({ User: [authorId] }), await startEntityOwner({ Product: [productId] })];
  database = await createTestDatabase('reviews_live');
  subgraph = await startSubgraph(
    reviewsSubgraph,
    loadConfig({
      NODE_ENV: 'production',
      REVIEWS_DATABASE_URL: database.url,
      REVIEWS_PORT: '0',
      REVIEWS_METRICS_PORT: '0',
      REDIS_URL: requireEnv('TEST_REDIS_URL'),
      REDIS_KEY_PREFIX: `reviews-live-${Date.now()}:`,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      SUBGRAPH_SIGNING_KEYS: TEST_AUTH.signingKeys,
      SUBGRAPH_USERS_URL: owners[0]!.url,
      SUBGRAPH_PRODUCTS_URL: owners[1]!.url,
    }),
  );
  url = `http://127.0.0.1:${subgraph.port}/graphql`;
}, 60_000);
afterAll(async () => {
  await subgraph?.close();
  await Promise.all((owners ?? []).map((owner) => owner.close()));
  await database?.drop();
});

/** Headers the gateway signs a request with, for `identity`. */
function signed(body: string, identity: Identity = author): Record<string, string> {
  const forwarded = encodeIdentity(identity);
  return {
    'content-type': 'application/json',
    'x-tessera-identity': forwarded,
    'x-tessera-signature': signRequest(
      { method: 'POST', path: '/graphql', body, headers: { 'x-tessera-identity': forwarded } },
      { id: keyId, secret: Buffer.from(secret) },
    ),
  };
}

async function write(rating: number, body: string): Promise<string> {
  const payload = JSON.stringify({
    query: 'mutation ($input: CreateReviewInput!) { createReview(input: $input) { id } }',
    variables: { input: { productId, rating, body } },
  });
  const result = (await (await fetch(url, { method: 'POST', headers: signed(payload), body: payload })).json()) as {
    data: { createReview: { id: string } };
  };
  return result.data.createReview.id;
}

/** A subscription's `next` events (id and parsed data), kept as they come. */
async function subscribe(payload: Record<string, unknown>, headers: Record<string, string> = {}) {
  const body = JSON.stringify(payload);
  const nexts: Array<{ id?: string; data: { data?: { reviewAdded: Record<string, unknown> } } }> = [];
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const sent = request(url, { method: 'POST', headers: { ...signed(body), accept: 'text/event-stream', ...headers } }, resolve);
    onTestFinished(() => void sent.destroy());
    sent.on('error', reject).end(body);
  });
  // Destroyed when the test ends: the request's 'aborted' is expected.
  response.on('error', () => undefined);
  let buffer = '';
  response.setEncoding('utf8').on('data', (chunk: string) => {
    const blocks = (buffer += chunk).split('\n\n');
    buffer = blocks.pop()!;
    for (const block of blocks) {
      const fields = Object.fromEntries(
        block.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
      );
      if (fields.event === 'next') nexts.push({ id: fields.id, data: JSON.parse(fields.data!) as never });
    }
  });
  return nexts;
}

const ADDED =
  'subscription ($productId: ID!) { reviewAdded(productId: $productId) { id rating body author { id } product { id } createdAt } }';

describe('reviewAdded', () => {
  it('sends each review written for the product as it commits, in order; a resumed subscriber gets what followed its id', async () => {
    const live = await subscribe({ query: ADDED, variables: { productId }, extensions: { lastEventId: '0' } });
    const ids = [await write(5, 'First.'), await write(3, 'Second.'), await write(4, 'Third.')];
    await vi.waitFor(() => expect(live).toHaveLength(3));
    expect(live.map((next) => next.id)).toEqual(['1', '2', '3']);
    expect(live.map((next) => next.data.data?.reviewAdded)).toMatchObject([
      { id: ids[0], rating: 5, body: 'First.', author: { id: authorId }, product: { id: productId } },
      { id: ids[1], rating: 3, body: 'Second.' },
      { id: ids[2], rating: 4, body: 'Third.' },
    ]);
    expect(live[0]!.data.data?.reviewAdded.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const resumed = await subscribe({ query: ADDED, variables: { productId } }, { 'last-event-id': '1' });
    await vi.waitFor(() => expect(resumed.map((next) => next.id)).toEqual(['2', '3']));
  });
});
