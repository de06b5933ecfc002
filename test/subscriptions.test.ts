/**
 * Subscriptions through the whole platform, with the clients users have: Apollo Client over
 * `GraphQLWsLink` (graphql-ws) and graphql-sse's client, against four real processes on a real
 * PostgreSQL — each event committed by a mutation in the reviews subgraph, published by its
 * outbox relay, and completed by the gateway with the users' and products' fields.
 */
import { ApolloClient, gql, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { sqlRows, startPlatformWithDatabases, testToken, type PlatformWithDatabases } from '@tessera/test-helpers';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';

const SEED = { SEED_USERS: '5', SEED_PRODUCTS: '3', SEED_REVIEWS: '5' };
let platform: PlatformWithDatabases;
let productId: string;
let token: string;

beforeAll(async () => {
  platform = await startPlatformWithDatabases('subscriptions', { env: SEED });
  const { body } = await platform.graphql<{ topProducts: Array<{ id: string }> }>('{ topProducts(first: 1) { id } }');
  productId = body.data!.topProducts[0]!.id;
  const [user] = await sqlRows<{ id: string }>(platform.databases.byName.users.url, 'SELECT id FROM users ORDER BY id LIMIT 1');
  token = await testToken({ sub: user!.id });
}, 120_000);

afterAll(() => platform?.stop());

const REVIEW_ADDED = `subscription ReviewAdded($productId: ID!) {
  reviewAdded(productId: $productId) { id body rating author { username } product { id name price { amount currency } } }
}`;

interface ReviewAdded {
  reviewAdded: { id: string; body: string; author: { username: string } | null; product: { id: string; name: string } | null };
}

async function createReview(body: string, as = token): Promise<string> {
  const { status, body: response } = await platform.graphql<{ createReview: { id: string } }>(
    'mutation Write($input: CreateReviewInput!) { createReview(input: $input) { id } }',
    { input: { productId, rating: 4, body } },
    { token: as },
  );
  expect(status, JSON.stringify(response)).toBe(200);
  return response.data!.createReview.id;
}

/** Collects what a subscription delivers, until `count` results arrived. */
function collector<T>() {
  const results: T[] = [];
  return {
    results,
    push: (result: T) => results.push(result),
    async until(count: number) {
      await vi.waitFor(() => expect(results.length).toBeGreaterThanOrEqual(count), { timeout: 15_000, interval: 20 });
      return results;
    },
  };
}

const wsUrl = () => platform.gatewayUrl.replace(/^http/, 'ws');

describe('clients receive events with fields from all three subgraphs', () => {
  it('Apollo Client over GraphQLWsLink', async () => {
    const wsClient = createWsClient({ url: wsUrl(), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` } });
    const client = new ApolloClient({ link: new GraphQLWsLink(wsClient), cache: new InMemoryCache() });
    const received = collector<ReviewAdded>();
    const subscription = client
      .subscribe<ReviewAdded>({ query: gql(REVIEW_ADDED), variables: { productId } })
      .subscribe({ next: (result) => result.data && received.push(result.data) });
    // The subscription is open at the subgraph once the gateway counts it; then write.
    await vi.waitFor(async () => expect(await activeSubscriptions('ws')).toBeGreaterThan(0));
    const id = await createReview('Seen over a WebSocket');
    const [event] = await received.until(1);
    expect(event!.reviewAdded).toMatchObject({ id, body: 'Seen over a WebSocket', product: { id: productId } });
    expect(event!.reviewAdded.author?.username).toEqual(expect.any(String));
    expect(event!.reviewAdded.product?.name).toEqual(expect.any(String));
    subscription.unsubscribe();
    await wsClient.dispose();
  });

  it("graphql-sse's client", async () => {
    const client = createSseClient({ url: platform.gatewayUrl, headers: { authorization: `Bearer ${token}` } });
    const received = collector<ReviewAdded>();
    const dispose = client.subscribe<ReviewAdded>(
      { query: REVIEW_ADDED, variables: { productId } },
      { next: (result) => result.data && received.push(result.data), error: () => undefined, complete: () => undefined },
    );
    await vi.waitFor(async () => expect(await activeSubscriptions('sse')).toBeGreaterThan(0));
    const id = await createReview('Seen over server-sent events');
    const [event] = await received.until(1);
    expect(event!.reviewAdded).toMatchObject({ id, body: 'Seen over server-sent events', product: { id: productId } });
    expect(event!.reviewAdded.author?.username).toEqual(expect.any(String));
    dispose();
    client.dispose();
  });
});

describe('authorization applies to every event', () => {
  it('takes a field the caller may not see out of each event (null, UNAUTHORIZED_FIELD_OR_TYPE), and leaves it to a caller who may', async () => {
    const query = `subscription($productId: ID!) { reviewAdded(productId: $productId) { id author { username email } } }`;
    const anonymous = createSseClient({ url: platform.gatewayUrl });
    const signedIn = createSseClient({ url: platform.gatewayUrl, headers: { authorization: `Bearer ${token}` } });
    type Result = {
      data?: { reviewAdded: { author: { email: string | null } | null } } | null;
      errors?: Array<{ extensions?: { code?: string } }>;
    };
    const seenAnonymous = collector<Result>();
    const seenSignedIn = collector<Result>();
    const sink = (into: ReturnType<typeof collector<Result>>) => ({ next: into.push, error: () => undefined, complete: () => undefined });
    const stopAnonymous = anonymous.subscribe<Result['data']>({ query, variables: { productId } }, sink(seenAnonymous) as never);
    const stopSignedIn = signedIn.subscribe<Result['data']>({ query, variables: { productId } }, sink(seenSignedIn) as never);
    await vi.waitFor(async () => expect(await activeSubscriptions('sse')).toBeGreaterThanOrEqual(2));
    await createReview('One');
    await createReview('Two');
    for (const event of await seenAnonymous.until(2)) {
      expect(event.data?.reviewAdded.author?.email).toBeNull();
      expect(event.errors?.map((error) => error.extensions?.code)).toContain('UNAUTHORIZED_FIELD_OR_TYPE');
    }
    for (const event of await seenSignedIn.until(2)) {
      // The user's own email: the users subgraph shows it to them.
      expect(event.data?.reviewAdded.author?.email).toMatch(/@/);
      expect(event.errors).toBeUndefined();
    }
    stopAnonymous();
    stopSignedIn();
    anonymous.dispose();
    signedIn.dispose();
  });
});

/** The gateway's `subscriptions_active` for a transport. */
async function activeSubscriptions(transport: 'ws' | 'sse'): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${platform.metricsPorts.gateway}/metrics`)).text();
  const line = text.split('\n').find((row) => row.startsWith(`subscriptions_active{transport="${transport}"`));
  return Number(line?.split(' ').pop() ?? 0);
}
