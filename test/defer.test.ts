/**
 * `@defer` over the real platform: the first part before the deferred one when a subgraph is slow,
 * the merged answer equal to the same query without `@defer`, and a client that does not ask for
 * parts answered whole, as before.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloClient, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { Defer20220824Handler } from '@apollo/client/incremental';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { apiSchemaOf } from '@tessera/gateway';
import {
  mergeParts,
  mergeResults,
  metricSum,
  multipartBodies,
  scrapeMetrics,
  startDelayingProxy,
  startPlatformWithDatabases,
  testToken,
  waitUntil,
  withoutDefer,
  type Connection,
  type ExtraGateway,
  type PlatformWithDatabases,
} from '@tessera/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOperation, selectsNothingSomewhere, type KnownIds } from './fuzz/operations.js';

const RUNS = Number(process.env.DEFER_PROPERTY_RUNS ?? 150);
const schema = apiSchemaOf(await readFile(resolve(import.meta.dirname, '../supergraph.graphql'), 'utf8'));
let ids: KnownIds;

const SEED = { SEED_USERS: '6', SEED_PRODUCTS: '4', SEED_REVIEWS: '12' };
const REVIEWS_DELAY_MS = 400;
let platform: PlatformWithDatabases;
let slowReviews: Server;
let gateway: ExtraGateway;
let productId: string;

beforeAll(async () => {
  platform = await startPlatformWithDatabases('defer', { env: SEED });
  slowReviews = await startDelayingProxy(`http://127.0.0.1:${platform.ports.reviews}`, REVIEWS_DELAY_MS);
  gateway = await platform.spawnGateway({
    LOG_LEVEL: 'info',
    SUBGRAPH_REVIEWS_URL: `http://127.0.0.1:${(slowReviews.address() as AddressInfo).port}/graphql`,
  });
  const { body } = await platform.graphql<{
    users: Connection<{ id: string }>;
    products: Connection<{ id: string }>;
    topProducts: Array<{ id: string; reviews: Connection<{ id: string }> }>;
  }>(
    '{ users(first: 10) { edges { node { id } } } products(first: 10) { edges { node { id } } } topProducts(first: 3) { id reviews(first: 10) { edges { node { id } } } } }',
  );
  productId = body.data!.topProducts[0]!.id;
  ids = {
    User: body.data!.users.edges.map((e) => e.node.id),
    Product: body.data!.products.edges.map((e) => e.node.id),
    Review: body.data!.topProducts.flatMap((p) => p.reviews.edges.map((e) => e.node.id)),
  };
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  slowReviews?.close();
  await platform?.stop();
});

const PRODUCT_PAGE = `query Page($id: ID!) {
  product(id: $id) {
    id name price { amount currency }
    ... @defer(label: "reviews") { averageRating reviews(first: 3) { edges { node { id body author { username } } } } }
  }
}`;

/** Posts `query` to the slow gateway with `accept`; the raw answer and when each chunk arrived (ms after sending). */
async function post(
  query: string,
  variables: Record<string, unknown>,
  accept: string,
  { url = gateway.url, token }: { url?: string; token?: string } = {},
) {
  const started = performance.now();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept,
    ...(token && { authorization: `Bearer ${token}` }),
  };
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const chunks: Array<{ at: number; text: string }> = [];
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>)
    chunks.push({ at: performance.now() - started, text: decoder.decode(chunk, { stream: true }) });
  return { status: response.status, type: response.headers.get('content-type') ?? '', chunks, text: chunks.map((c) => c.text).join('') };
}

const ACCEPT_PARTS = 'multipart/mixed; deferSpec=20220824, application/json';

/** What Apollo Client renders of the product page, from its first result to the complete one. */
async function watchUntilComplete(client: ApolloClient): Promise<Array<{ data: unknown; dataState?: string }>> {
  const seen: Array<{ data: unknown; dataState?: string }> = [];
  await new Promise<void>((resolve, reject) => {
    const subscription = client.watchQuery({ query: gql(PRODUCT_PAGE), variables: { id: productId } }).subscribe({
      next: (result) => {
        seen.push({ data: result.data, dataState: result.dataState });
        if (result.dataState === 'complete') {
          subscription.unsubscribe();
          resolve();
        }
      },
      error: reject,
    });
  });
  return seen;
}

describe('@defer', () => {
  it('sends the first part before the deferred one when the reviews subgraph is slow, and the parts merge into the whole answer', async () => {
    const parts = await post(PRODUCT_PAGE, { id: productId }, ACCEPT_PARTS);
    expect(parts.status).toBe(200);
    expect(parts.type).toContain('deferSpec=20220824');
    const [first, ...rest] = multipartBodies(parts.text);
    expect(first).toMatchObject({ hasNext: true, data: { product: { id: productId } } });
    expect(first!.data).not.toHaveProperty('product.reviews');
    expect(rest.at(-1)).toMatchObject({ hasNext: false, incremental: [{ path: ['product'], label: 'reviews' }] });
    // The first part left before the slow subgraph answered; the last only after it.
    const firstChunk = parts.chunks.find((c) => c.text.includes('"hasNext":true'))!;
    expect(firstChunk.at).toBeLessThan(parts.chunks.at(-1)!.at - REVIEWS_DELAY_MS / 2);
    const whole = await post(withoutDefer(PRODUCT_PAGE), { id: productId }, 'application/json');
    expect(mergeParts(parts.text)).toEqual(JSON.parse(whole.text));
    // Each part after the first is logged with the request's id (the request log has its own line at the first).
    const logged = () =>
      gateway
        .logs()
        .split('\n')
        .filter((line) => line.includes('"deferred part"'))
        .map((line) => JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>);
    // The line is written as the part goes out: it may reach the test a moment after the answer.
    await waitUntil(async () => logged().length > 0, { timeoutMs: 5_000, intervalMs: 20, what: 'the deferred part to be logged' }).catch(
      () => console.log(gateway.logs().slice(-2_000)),
    );
    const lines = logged();
    expect(lines.at(-1)).toMatchObject({ part: 1, labels: ['reviews'], items: 1, errors: 0, hasNext: false });
    expect(lines.at(-1)!.ms).toBeGreaterThanOrEqual(REVIEWS_DELAY_MS);
  });

  it("shares a deferred part's subgraph fetch among identical requests in flight, each answered in full", async () => {
    const deduplicated = async () =>
      metricSum(await scrapeMetrics(gateway.metricsPort), 'subgraph_fetches_deduplicated_total', { subgraph: 'reviews' });
    const before = await deduplicated();
    // A product no test asked for yet: no cache holds its reviews.
    const id = ids.Product.find((p) => p !== productId)!;
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(PRODUCT_PAGE, { id }, ACCEPT_PARTS)));
    const whole = await post(withoutDefer(PRODUCT_PAGE), { id }, 'application/json');
    for (const answer of answers) {
      expect(answer.type).toContain('deferSpec=20220824');
      expect(mergeParts(answer.text)).toEqual(JSON.parse(whole.text));
    }
    // The five deferred blocks' fetches to the slowed reviews subgraph: one sent, four shared.
    expect((await deduplicated()) - before).toBeGreaterThanOrEqual(4);
  });

  it("ends a deferred part at the request's deadline with SUBREQUEST_TIMEOUT in that part, the first part whole", async () => {
    // The deadline (200 ms) falls before the slowed reviews subgraph (400 ms) answers.
    const hurried = await platform.spawnGateway({
      REQUEST_TIMEOUT_MS: '200',
      SUBGRAPH_REVIEWS_URL: `http://127.0.0.1:${(slowReviews.address() as AddressInfo).port}/graphql`,
    });
    try {
      const parts = await post(PRODUCT_PAGE, { id: productId }, ACCEPT_PARTS, { url: hurried.url });
      const [first, ...rest] = multipartBodies(parts.text);
      expect(first).toMatchObject({ hasNext: true, data: { product: { id: productId, name: expect.any(String) as unknown } } });
      expect(first).not.toHaveProperty('errors');
      const last = rest.at(-1)!;
      expect(last.hasNext).toBe(false);
      const codes = (last.incremental ?? []).flatMap((item) =>
        ((item.errors ?? []) as Array<{ extensions?: { code?: string } }>).map((e) => e.extensions?.code),
      );
      expect(codes).toContain('SUBREQUEST_TIMEOUT');
      // The answer ended at the deadline, not when the slow subgraph answered.
      expect(parts.chunks.at(-1)!.at).toBeLessThan(REVIEWS_DELAY_MS);
      // And the gateway goes on serving.
      expect((await post(withoutDefer(PRODUCT_PAGE), { id: productId }, 'application/json', { url: hurried.url })).status).toBe(200);
    } finally {
      await hurried.stop();
    }
  });

  it('answers a client that does not ask for parts in one response, as the same query without @defer', async () => {
    for (const accept of [
      'application/json',
      'application/graphql-response+json',
      'multipart/mixed; incrementalSpec=v0.2',
      // Apollo Client 4's GraphQL17Alpha9Handler: the newer format, or JSON.
      'multipart/mixed;incrementalSpec=v0.2,application/graphql-response+json,application/json;q=0.9',
      '*/*',
    ]) {
      const deferred = await post(PRODUCT_PAGE, { id: productId }, accept);
      const plain = await post(withoutDefer(PRODUCT_PAGE), { id: productId }, accept);
      expect(deferred.type, accept).toBe(plain.type);
      expect(deferred.status, accept).toBe(plain.status);
      expect(deferred.text, accept).toBe(plain.text);
    }
  });

  it('Apollo Client over HTTP multipart renders the first part, then the merged result', async () => {
    const client = new ApolloClient({
      link: new HttpLink({ uri: gateway.url }),
      cache: new InMemoryCache(),
      incrementalHandler: new Defer20220824Handler(),
    });
    const seen = await watchUntilComplete(client);
    const streaming = seen.find((r) => r.dataState === 'streaming');
    expect(streaming, JSON.stringify(seen)).toBeDefined();
    expect((streaming!.data as { product: Record<string, unknown> }).product.reviews).toBeUndefined();
    const complete = seen.at(-1)!.data as { product: { reviews: unknown; name: string } };
    const plain = await new ApolloClient({ link: new HttpLink({ uri: platform.gatewayUrl }), cache: new InMemoryCache() }).query({
      query: gql(withoutDefer(PRODUCT_PAGE)),
      variables: { id: productId },
    });
    expect(complete).toEqual(plain.data);
  });

  it(`never changes the merged answer: ${RUNS} generated operations with @defer on random fragments, against the same without it`, async () => {
    // Callers who may read every field, who may not read User.email, and anonymous: what
    // authorization takes out (a null and an error) must come out the same in parts.
    const tokens = [
      await testToken({ sub: 'defer-reader', scopes: ['users:read-email'] }),
      await testToken({ sub: 'defer-user' }),
      undefined,
    ];
    let inParts = 0;
    await fc.assert(
      fc.asyncProperty(fc.gen(), async (g) => {
        const { query, variables } = generateOperation(g, schema, ids, { defer: true });
        const token = tokens[g(fc.integer, { min: 0, max: tokens.length - 1 })];
        const plain = withoutDefer(query);
        // Apollo Gateway answers an object all of whose fields are skipped (`@include(if: false)` on
        // each) with null — and its non-null parents, up to `data: null` — instead of {}: its query
        // planner fetches nothing for it. Its deferred path does not answer it the same wrong way.
        // Such documents are left out (the property is about @defer, not about that).
        fc.pre(!selectsNothingSomewhere(plain, variables));
        const [parts, whole] = await Promise.all([
          post(query, variables, ACCEPT_PARTS, { url: platform.gatewayUrl, token }),
          post(plain, variables, 'application/json', { url: platform.gatewayUrl, token }),
        ]);
        const context = `${query}\n${JSON.stringify(variables)}\n${parts.text.slice(0, 2_000)}`;
        expect(parts.status, context).toBe(whole.status);
        if (parts.type.startsWith('multipart/mixed')) inParts += 1;
        const merged = parts.type.startsWith('multipart/mixed')
          ? mergeParts(parts.text)
          : (JSON.parse(parts.text) as { data?: unknown; errors?: unknown[] });
        const expected = JSON.parse(whole.text) as { data?: unknown; errors?: unknown[] };
        expect(merged.data, context).toEqual(expected.data);
        expect(sortedErrors(merged.errors), context).toEqual(sortedErrors(expected.errors));
      }),
      { numRuns: RUNS },
    );
    console.log(`@defer: ${RUNS} generated operations, ${inParts} answered in parts, every merged answer equal to the one without @defer`);
    expect(inParts).toBeGreaterThan(RUNS / 4);
  }, 600_000);
});

const sortedErrors = (errors: unknown[] | undefined) =>
  (errors ?? []).map((e) => JSON.stringify({ message: (e as { message: string }).message, path: (e as { path?: unknown }).path })).sort();

describe('@defer over the subscription transports', () => {
  /** The results of a query sent over a transport, each with when it came (ms after sending). */
  type Timed = { result: Record<string, unknown>; at: number };
  const sink = (results: Timed[], started: number, done: () => void, fail: (error: unknown) => void) => ({
    next: (result: unknown) => void results.push({ result: result as Record<string, unknown>, at: performance.now() - started }),
    error: fail,
    complete: done,
  });
  const whole = async () => JSON.parse((await post(withoutDefer(PRODUCT_PAGE), { id: productId }, 'application/json')).text) as unknown;

  /** The first result before the slowed subgraph answers, the last after it; merged, the whole answer. */
  async function expectParts(results: Timed[]) {
    expect(results.length).toBeGreaterThanOrEqual(2);
    expect(results[0]!.result).toMatchObject({ hasNext: true, data: { product: { id: productId } } });
    expect(results[0]!.result.data).not.toHaveProperty('product.reviews');
    expect(results.at(-1)!.result).toMatchObject({ hasNext: false, incremental: [{ path: ['product'], label: 'reviews' }] });
    expect(results[0]!.at).toBeLessThan(results.at(-1)!.at - REVIEWS_DELAY_MS / 2);
    expect(mergeResults(results.map((r) => r.result))).toEqual(await whole());
  }

  it('sends each part as a next of its own over graphql-ws', async () => {
    const client = createWsClient({ url: gateway.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
    const results: Timed[] = [];
    const started = performance.now();
    await new Promise<void>((done, fail) =>
      client.subscribe({ query: PRODUCT_PAGE, variables: { id: productId } }, sink(results, started, done, fail)),
    );
    await client.dispose();
    await expectParts(results);
  });

  it('sends each part as a next event of its own over graphql-sse', async () => {
    const client = createSseClient({ url: gateway.url, retryAttempts: 0 });
    const results: Timed[] = [];
    const started = performance.now();
    await new Promise<void>((done, fail) =>
      client.subscribe({ query: PRODUCT_PAGE, variables: { id: productId } }, sink(results, started, done, fail)),
    );
    client.dispose();
    await expectParts(results);
  });

  it('Apollo Client over GraphQLWsLink renders the first part, then the merged result', async () => {
    const wsClient = createWsClient({ url: gateway.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
    const client = new ApolloClient({
      link: new GraphQLWsLink(wsClient),
      cache: new InMemoryCache(),
      incrementalHandler: new Defer20220824Handler(),
    });
    const seen = await watchUntilComplete(client);
    await wsClient.dispose();
    const streaming = seen.find((s) => s.dataState === 'streaming');
    expect(streaming?.data).toMatchObject({ product: { id: productId } });
    expect(streaming?.data).not.toHaveProperty('product.reviews');
    // As Apollo Client gives the same query without @defer (its cache adds __typename).
    const plain = await new ApolloClient({ link: new HttpLink({ uri: platform.gatewayUrl }), cache: new InMemoryCache() }).query({
      query: gql(withoutDefer(PRODUCT_PAGE)),
      variables: { id: productId },
    });
    expect(seen.at(-1)!.data).toEqual(plain.data);
  });
});
