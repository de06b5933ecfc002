/**
 * Subscriptions through the whole platform, with the clients users have: Apollo Client over
 * `GraphQLWsLink` (graphql-ws) and graphql-sse's client, against four real processes on a real
 * PostgreSQL — each event committed by a mutation in the reviews subgraph, published by its
 * outbox relay, and completed by the gateway with the users' and products' fields.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ApolloClient, gql, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { requireEnv, sqlRows, startPlatformWithDatabases, testToken, type PlatformWithDatabases } from '@tessera/test-helpers';

const root = resolve(import.meta.dirname, '..');
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

describe('@defer in a subscription', () => {
  it('runs the deferred fragment inline: each event whole, in one next', async () => {
    const query = `subscription($productId: ID!) { reviewAdded(productId: $productId) { id ... @defer { body author { username } } } }`;
    const client = createSseClient({ url: platform.gatewayUrl, headers: { authorization: `Bearer ${token}` } });
    const received = collector<Record<string, unknown>>();
    const dispose = client.subscribe(
      { query, variables: { productId } },
      { next: received.push, error: () => undefined, complete: () => undefined },
    );
    await vi.waitFor(async () => expect(await activeSubscriptions('sse')).toBeGreaterThan(0));
    const id = await createReview('Deferred in a subscription');
    const [event] = await received.until(1);
    expect(event).toEqual({
      data: { reviewAdded: { id, body: 'Deferred in a subscription', author: { username: expect.any(String) as unknown } } },
    });
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

describe('the protections of any operation', () => {
  it("charges each event to its subscriber's rate limit: one out of points gets RATE_LIMITED and the subscription ends", async () => {
    // Each event costs the subscription's estimated cost; the budget pays for a few.
    const limited = await platform.spawnGateway({ RATE_LIMIT_POINTS: '40', RATE_LIMIT_WINDOW_SECONDS: '3600' });
    try {
      const client = createSseClient({ url: limited.url, headers: { authorization: `Bearer ${token}` } });
      const received = collector<{ data?: unknown; errors?: ReadonlyArray<{ extensions?: { code?: string } }> }>();
      let completed = false;
      const dispose = client.subscribe(
        { query: REVIEW_ADDED, variables: { productId } },
        { next: received.push, error: () => undefined, complete: () => (completed = true) },
      );
      await vi.waitFor(async () => expect(await activeSubscriptions('sse', limited.metricsPort)).toBe(1));
      // Writes through the other gateway, until the subscriber's events have spent its points.
      await vi.waitFor(
        async () => {
          if (!completed) await createReview(`Charged ${received.results.length}`);
          expect(completed).toBe(true);
        },
        { timeout: 30_000, interval: 300 },
      );
      const last = received.results.at(-1)!;
      expect(last.errors?.map((error) => error.extensions?.code)).toEqual(['RATE_LIMITED']);
      expect(received.results.slice(0, -1).every((result) => result.data && !result.errors)).toBe(true);
      dispose();
      client.dispose();
    } finally {
      await limited.stop();
    }
  });

  it('holds subscriptions to the persisted query list: a listed one runs by its id, any other is refused before it runs', async () => {
    const prefix = `subs-pq-${Date.now()}:`;
    const id = 'live-review-added';
    await publishManifest(prefix, [{ id, name: 'ReviewAdded', type: 'subscription', body: REVIEW_ADDED }]);
    const enforcing = await platform.spawnGateway({
      PERSISTED_QUERIES_MODE: 'enforce',
      REDIS_URL: requireEnv('TEST_REDIS_URL'),
      REDIS_KEY_PREFIX: prefix,
      CACHE_MODE: 'off',
    });
    const wsClient = createWsClient({ url: enforcing.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      const outcome = (payload: { query?: string; extensions?: Record<string, unknown> }) =>
        new Promise<{ codes: unknown[]; subscribed: boolean }>((resolve) => {
          const dispose = wsClient.subscribe(
            // Only the id, as Apollo Client's persisted-query link sends it: no query text (graphql-ws's client
            // requires a string, so an empty one).
            { query: payload.query ?? '', variables: { productId }, extensions: payload.extensions },
            {
              next: () => undefined,
              // GraphQL errors (the refusal), or the socket's close event once the client is disposed.
              error: (errors) =>
                resolve({
                  codes: Array.isArray(errors) ? (errors as Array<{ extensions?: { code?: string } }>).map((e) => e.extensions?.code) : [],
                  subscribed: false,
                }),
              complete: () => undefined,
            },
          );
          setTimeout(() => (dispose(), resolve({ codes: [], subscribed: true })), 1_500);
        });
      const unlisted = 'subscription ($productId: ID!) { reviewAdded(productId: $productId) { id rating } }';
      expect(await outcome({ query: unlisted })).toEqual({ codes: ['PERSISTED_QUERY_NOT_IN_LIST'], subscribed: false });
      expect(await outcome({ extensions: { persistedQuery: { version: 1, sha256Hash: id } } })).toEqual({ codes: [], subscribed: true });
    } finally {
      await wsClient.dispose();
      await enforcing.stop();
    }
  });
});

/** Publishes a trusted-documents manifest to the test Redis under `prefix`, as `pnpm pq:publish` does. */
async function publishManifest(prefix: string, operations: Array<{ id: string; name: string; type: string; body: string }>) {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-manifest-'));
  const manifest = join(dir, 'manifest.json');
  await writeFile(manifest, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations }));
  try {
    await promisify(execFile)(resolve(root, 'node_modules/.bin/tsx'), ['gateway/src/cli/publish-manifest.ts', manifest], {
      cwd: root,
      env: { ...process.env, REDIS_URL: requireEnv('TEST_REDIS_URL'), REDIS_KEY_PREFIX: prefix },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The gateway's `subscriptions_active` for a transport. */
async function activeSubscriptions(transport: 'ws' | 'sse', metricsPort = platform.metricsPorts.gateway): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const line = text.split('\n').find((row) => row.startsWith(`subscriptions_active{transport="${transport}"`));
  return Number(line?.split(' ').pop() ?? 0);
}
