/**
 * The fault suite: four real processes on a PostgreSQL server of this file's own (so it can be
 * stopped) and the test Redis — a subgraph frozen, the database gone and back, a gateway
 * terminated under load, a thousand concurrent retried mutations — with metrics scraped and
 * one request id followed through every log.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSubgraphDatabases,
  errorCodes,
  metricSum,
  postGraphQL,
  scrapeMetrics,
  sqlRows as sql,
  startOwnPostgres,
  startPlatform,
  testToken,
  waitUntil,
  type ExtraGateway,
  type GraphQLRequest,
  type OwnPostgres,
  type Platform,
  type SubgraphDatabases,
} from '@tessera/test-helpers';

const QUERY = '{ topProducts(first: 3) { name averageRating reviews(first: 2) { edges { node { rating author { username } } } } } }';
/** Only nullable fields from reviews: with reviews down, the products are still there. */
const PARTIAL = '{ topProducts(first: 3) { name averageRating } }';
let postgres: OwnPostgres;
let dbs: SubgraphDatabases;
let platform: Platform;

beforeAll(async () => {
  postgres = await startOwnPostgres();
  dbs = await createSubgraphDatabases('fault', postgres.url);
  platform = await startPlatform({
    env: {
      ...dbs.env,
      SEED_USERS: '20',
      SEED_PRODUCTS: '10',
      SEED_REVIEWS: '60',
      LOG_LEVEL: 'info',
      REDIS_URL: process.env.TEST_REDIS_URL!,
      REDIS_KEY_PREFIX: `fault-${randomUUID()}:`,
      REQUEST_TIMEOUT_MS: '2000',
      SUBGRAPH_TIMEOUT_MS: '700',
      BREAKER_WINDOW_MS: '4000',
      BREAKER_MIN_RPS: '1',
      BREAKER_HALF_OPEN_AFTER_MS: '1000',
      DATABASE_ACQUIRE_TIMEOUT_MS: '1000',
      REVIEWS_DATABASE_POOL_SIZE: '20',
    },
  });
}, 180_000);

afterAll(async () => {
  await platform?.stop();
  await dbs?.drop().catch(() => {});
  await postgres?.destroy();
});

const post = <TData = Record<string, unknown>>(body: GraphQLRequest, headers: Record<string, string> = {}, url = platform.gatewayUrl) =>
  postGraphQL<TData>(url, body, headers);
const scrape = (service: keyof Platform['metricsPorts']) => scrapeMetrics(platform.metricsPorts[service]);
/** The data of PARTIAL. */
interface PartialData {
  topProducts: Array<{ name: string; averageRating: number | null }>;
}

describe('request ids and metrics', () => {
  it('follows one request id through the gateway and all three subgraphs, and returns it', async () => {
    const id = `trace-${randomUUID()}`;
    const { status, headers, body } = await post({ query: QUERY }, { 'x-request-id': id });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(headers.get('x-request-id')).toBe(id);
    await expect
      .poll(() =>
        (['gateway', 'users', 'products', 'reviews'] as const).filter((service) => !platform.logs(service).includes(`"requestId":"${id}"`)),
      )
      .toEqual([]);
    // A malformed id is replaced by one of the gateway's own.
    const bad = await post({ query: '{ __typename }' }, { 'x-request-id': 'no spaces or "quotes" allowed' });
    expect(bad.headers.get('x-request-id')).toMatch(/^[\w.:-]{1,128}$/);
  });

  it('shows the RED, subgraph, cost, APQ, pool, loader and runtime series after a query', async () => {
    await post({ query: QUERY });
    const gateway = await scrape('gateway');
    for (const series of [
      /graphql_requests_total\{operation_type="query",operation_name="anonymous",outcome="ok"/,
      /graphql_request_duration_seconds_bucket\{/,
      /subgraph_request_duration_seconds_bucket\{[^}]*subgraph="reviews",outcome="ok"/,
      /subgraph_circuit_state\{subgraph="reviews"[^}]*\} 0/,
      /subgraph_up\{subgraph="users"[^}]*\} 1/,
      /http_requests_in_flight\{/,
      /http_requests_rejected_total/,
      /graphql_operation_cost_bucket\{/,
      /persisted_queries_total/,
      /nodejs_eventloop_lag_seconds\{/,
      /nodejs_heap_size_used_bytes\{/,
    ]) {
      expect(gateway).toMatch(series);
    }
    const reviews = await scrape('reviews');
    expect(reviews).toMatch(/dataloader_batch_size_bucket\{[^}]*loader="reviewPagesByProduct"/);
    expect(reviews).toMatch(/db_pool_connections\{state="idle",service="reviews"\}/);
    expect(reviews).toMatch(/graphql_requests_total\{[^}]*service="reviews"/);
  });

  it('has every series the shipped dashboard and alert rules query', async () => {
    const scraped = (await Promise.all((['gateway', 'users', 'products', 'reviews'] as const).map(scrape))).join('\n');
    const shipped = ['grafana-dashboard.json', 'alerts.yaml']
      .map((file) => readFileSync(new URL(`../deploy/observability/${file}`, import.meta.url), 'utf8'))
      .join('\n');
    const queried = new Set(
      shipped.match(/\b(?:graphql|subgraph|subscriptions?|events|http|persisted|cache|dataloader|db|nodejs|process)_[a-z0-9_]+\b/g),
    );
    expect(queried.size).toBeGreaterThan(15);
    // Exported by some service (a counter nothing has incremented yet has its TYPE line and no sample).
    const exported = (name: string) => new RegExp(`^# TYPE ${name.replace(/_(bucket|count|sum)$/, '')} `, 'm').test(scraped);
    expect([...queried].filter((name) => !exported(name))).toEqual([]);
  });
});

describe('a frozen subgraph (SIGSTOP)', () => {
  it('answers within the deadline with partial data, opens the circuit, fails fast, and recovers after SIGCONT', async () => {
    process.kill(platform.pid('reviews'), 'SIGSTOP');
    try {
      const started = Date.now();
      const first = await post<PartialData>({ query: PARTIAL });
      expect(Date.now() - started).toBeLessThan(2_500);
      expect(first.status).toBe(200);
      expect(first.body.data?.topProducts).toHaveLength(3);
      expect(errorCodes(first.body)).toContain('SUBREQUEST_TIMEOUT');
      expect(first.body.errors?.find((e) => e.extensions?.code === 'SUBREQUEST_TIMEOUT')?.extensions?.service).toBe('reviews');
      expect((await fetch(`http://127.0.0.1:${platform.ports.gateway}/ready`)).status).toBe(200);

      // Enough failures in the window to trip it; then calls fail at once, without waiting.
      await Promise.all(Array.from({ length: 6 }, () => post({ query: PARTIAL })));
      await expect
        .poll(async () => errorCodes((await post({ query: PARTIAL })).body), { timeout: 10_000 })
        .toContain('SUBREQUEST_CIRCUIT_OPEN');
      const fast = Date.now();
      const open = await post({ query: PARTIAL });
      expect(Date.now() - fast).toBeLessThan(500);
      expect(errorCodes(open.body)).toContain('SUBREQUEST_CIRCUIT_OPEN');
      expect(await scrape('gateway')).toMatch(/subgraph_circuit_state\{subgraph="reviews"[^}]*\} 2/);
      // The log line is written after the state changes (pino writes asynchronously).
      await expect.poll(() => platform.logs('gateway')).toContain('circuit opened');
    } finally {
      process.kill(platform.pid('reviews'), 'SIGCONT');
    }
    await expect.poll(async () => (await post({ query: PARTIAL })).body.errors, { timeout: 15_000, interval: 250 }).toBeUndefined();
    expect(await scrape('gateway')).toMatch(/subgraph_circuit_state\{subgraph="reviews"[^}]*\} 0/);
    await expect.poll(() => platform.logs('gateway')).toContain('circuit closed');
  });
});

describe('PostgreSQL stopped and started again', () => {
  it('gives DATABASE_UNAVAILABLE (no stack, no driver text) while it is down, and recovers without a restart', async () => {
    await postgres.stop();
    try {
      const down = await post({ query: '{ users(first: 2) { edges { node { username } } } }' });
      expect(down.status).toBe(200);
      expect(errorCodes(down.body)).toEqual(['DATABASE_UNAVAILABLE']);
      expect(JSON.stringify(down.body)).not.toMatch(/stack|ECONNREFUSED|postgres|5432|at \w+ \(/i);
      const ready = await fetch(`http://127.0.0.1:${platform.ports.users}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'unavailable', parts: ['database'] });
      expect((await fetch(`http://127.0.0.1:${platform.ports.gateway}/ready`)).status).toBe(200);
    } finally {
      await postgres.resume();
    }
    await expect.poll(async () => (await post({ query: QUERY })).body.errors, { timeout: 20_000, interval: 250 }).toBeUndefined();
    expect((await fetch(`http://127.0.0.1:${platform.ports.users}/ready`)).status).toBe(200);
  });
});

describe('exactly-once mutations', () => {
  let token: string;
  let productIds: string[];
  // A replica with room for a thousand writes at once on two cores (the platform's own has tight timeouts for the fault tests).
  let replica: ExtraGateway;
  beforeAll(async () => {
    replica = await platform.spawnGateway({ REQUEST_TIMEOUT_MS: '60000', SUBGRAPH_TIMEOUT_MS: '60000' });
    const [user] = await sql<{ id: string }>(dbs.byName.users.url, 'SELECT id FROM users ORDER BY id LIMIT 1');
    token = await testToken({ sub: user!.id });
    productIds = (await sql<{ id: string }>(dbs.byName.products.url, 'SELECT id FROM products ORDER BY id LIMIT 5')).map((row) => row.id);
  });
  const createReview = (key: string, rating: number, productId = productIds[0]!) =>
    post<{ createReview: { id: string; rating: number } }>(
      {
        query: 'mutation ($input: CreateReviewInput!) { createReview(input: $input) { id rating } }',
        variables: { input: { productId, rating, body: 'Idempotent.' } },
      },
      { authorization: `Bearer ${token}`, 'idempotency-key': key },
      replica.url,
    );
  /** As a client with a key does: an answer saying "try again later" is retried with the same key. */
  const createReviewRetrying = async (key: string, rating: number, productId: string) => {
    for (let attempt = 0; ; attempt++) {
      const result = await createReview(key, rating, productId);
      const retryable = errorCodes(result.body).some(
        (code) => code !== undefined && ['DATABASE_UNAVAILABLE', 'SERVICE_OVERLOADED', 'UPSTREAM_UNAVAILABLE'].includes(code),
      );
      if (!retryable || attempt === 5) return result;
      // Not a wait for a condition: the client's own exponential backoff, part of the behaviour under test.
      await sleep(100 * 2 ** attempt);
    }
  };
  const reviewCount = async () => Number((await sql<{ n: string }>(dbs.byName.reviews.url, 'SELECT count(*) AS n FROM reviews'))[0]!.n);

  it('1,000 concurrent createReview calls with 500 keys, each sent twice, write exactly 500 reviews', async () => {
    const before = await reviewCount();
    const keys = Array.from({ length: 500 }, () => randomUUID());
    const calls = keys.flatMap((key, i) => [
      createReviewRetrying(key, (i % 5) + 1, productIds[i % 5]!),
      createReviewRetrying(key, (i % 5) + 1, productIds[i % 5]!),
    ]);
    const results = await Promise.all(calls);
    expect(results.filter((r) => r.status !== 200 || r.body.errors).map((r) => r.body.errors)).toEqual([]);
    expect(await reviewCount()).toBe(before + 500);
    for (let i = 0; i < keys.length; i++)
      expect(results[2 * i]!.body.data!.createReview.id).toBe(results[2 * i + 1]!.body.data!.createReview.id);
  }, 120_000);

  it('refuses a key reused for different input with 422 IDEMPOTENCY_KEY_REUSED, and a malformed key with 400; nothing is written', async () => {
    const key = randomUUID();
    expect((await createReview(key, 4)).status).toBe(200);
    const before = await reviewCount();
    const reused = await createReview(key, 5);
    expect(reused.status).toBe(422);
    expect(errorCodes(reused.body)).toEqual(['IDEMPOTENCY_KEY_REUSED']);
    const malformed = await createReview('has spaces', 4);
    expect(malformed.status).toBe(400);
    expect(errorCodes(malformed.body)).toEqual(['IDEMPOTENCY_KEY_INVALID']);
    expect(await reviewCount()).toBe(before);
  });
});

describe('one idempotency key, one operation', () => {
  let headers: Record<string, string>;
  let productId: string;
  beforeAll(async () => {
    const [user] = await sql<{ id: string }>(dbs.byName.users.url, 'SELECT id FROM users ORDER BY id LIMIT 1 OFFSET 1');
    // One caller, allowed to write products too: keys are the caller's, whichever subgraph a mutation goes to.
    headers = { authorization: `Bearer ${await testToken({ sub: user!.id, scopes: ['products:write'] })}` };
    [{ id: productId }] = (await sql<{ id: string }>(dbs.byName.products.url, 'SELECT id FROM products ORDER BY id LIMIT 1')) as [
      { id: string },
    ];
  });
  const count = async (db: 'reviews' | 'products', table: string) =>
    Number((await sql<{ n: string }>(dbs.byName[db].url, `SELECT count(*) AS n FROM ${table}`))[0]!.n);
  const counts = async () => ({ reviews: await count('reviews', 'reviews'), products: await count('products', 'products') });

  /** The mutations a client could send with one key: each a different operation or input, but `review` twice over. */
  const operations = {
    review: () => ({
      query: 'mutation ($input: CreateReviewInput!) { createReview(input: $input) { id rating } }',
      variables: { input: { productId, rating: 4, body: 'One key.' } },
    }),
    otherInput: () => ({
      query: 'mutation ($input: CreateReviewInput!) { createReview(input: $input) { id rating } }',
      variables: { input: { productId, rating: 5, body: 'One key.' } },
    }),
    aliased: () => ({
      query: 'mutation ($input: CreateReviewInput!) { again: createReview(input: $input) { id rating } }',
      variables: { input: { productId, rating: 4, body: 'One key.' } },
    }),
    deleteOne: () => ({
      query: 'mutation ($id: ID!) { deleteReview(id: $id) { id } }',
      variables: { id: '00000000-0000-7000-8000-000000000000' },
    }),
    product: () => ({
      query: 'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }',
      variables: { input: { sku: `KEY-${randomUUID()}`.slice(0, 40), name: 'Keyed', price: { amount: 1, currency: 'USD' } } },
    }),
    edit: () => ({
      query: 'mutation ($id: ID!) { updateProduct(id: $id, input: { description: "Keyed edit" }) { id } }',
      variables: { id: productId },
    }),
  } as const;
  type Name = keyof typeof operations;

  it('refuses the key on another mutation, the same one under an alias, or a mutation of another subgraph: 422, nothing written', async () => {
    const key = randomUUID();
    const first = await post(operations.review(), { ...headers, 'idempotency-key': key });
    expect([first.status, first.body.errors]).toEqual([200, undefined]);
    const before = await counts();
    for (const name of ['aliased', 'otherInput', 'deleteOne', 'product', 'edit'] as const) {
      const reused = await post(operations[name](), { ...headers, 'idempotency-key': key });
      expect([name, reused.status, errorCodes(reused.body)]).toEqual([name, 422, ['IDEMPOTENCY_KEY_REUSED']]);
    }
    expect(await counts()).toEqual(before);
    const retry = await post(operations.review(), { ...headers, 'idempotency-key': key });
    expect([retry.status, retry.body]).toEqual([first.status, first.body]);
  });

  it('for generated sequences of mutations under one key: the first runs once, its repeats replay it, everything else is 422', async () => {
    const names = Object.keys(operations) as Name[];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 5 }), async (sequence) => {
        const key = randomUUID();
        const bodies = new Map<Name, ReturnType<(typeof operations)[Name]>>();
        const before = await counts();
        let first: [number, unknown] | undefined;
        for (const name of sequence) {
          if (!bodies.has(name)) bodies.set(name, operations[name]());
          const result = await post(bodies.get(name)!, { ...headers, 'idempotency-key': key });
          if (name === sequence[0]) {
            first ??= [result.status, result.body];
            expect([result.status, result.body]).toEqual(first);
          } else {
            expect([name, result.status, errorCodes(result.body)]).toEqual([name, 422, ['IDEMPOTENCY_KEY_REUSED']]);
          }
        }
        const wrote = (table: 'reviews' | 'products') =>
          (
            ['review', 'otherInput', 'aliased'].includes(sequence[0]!)
              ? table === 'reviews'
              : sequence[0] === 'product' && table === 'products'
          )
            ? 1
            : 0;
        expect(await counts()).toEqual({ reviews: before.reviews + wrote('reviews'), products: before.products + wrote('products') });
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});

describe('exactly-once edits', () => {
  let caller: { id: string; headers: Record<string, string> };
  let productId: string;
  beforeAll(async () => {
    const [user] = await sql<{ id: string }>(dbs.byName.users.url, 'SELECT id FROM users ORDER BY id LIMIT 1 OFFSET 2');
    caller = { id: user!.id, headers: { authorization: `Bearer ${await testToken({ sub: user!.id, scopes: ['products:write'] })}` } };
    [{ id: productId }] = (await sql<{ id: string }>(dbs.byName.products.url, 'SELECT id FROM products ORDER BY id LIMIT 1 OFFSET 1')) as [
      { id: string },
    ];
  });
  /** Each edit: the mutation setting a value, and the value as stored. */
  const EDITS = {
    updateProduct: {
      target: () => Promise.resolve(productId),
      send: (id: string, value: string, key?: string) =>
        post(
          {
            query: 'mutation ($id: ID!, $v: String!) { updateProduct(id: $id, input: { name: $v }) { name } }',
            variables: { id, v: value },
          },
          { ...caller.headers, ...(key && { 'idempotency-key': key }) },
        ),
      stored: async (id: string) =>
        (await sql<{ v: string }>(dbs.byName.products.url, 'SELECT name AS v FROM products WHERE id = $1', [id]))[0]!.v,
    },
    updateReview: {
      target: async () => {
        const created = await post<{ createReview: { id: string } }>(
          {
            query: 'mutation ($p: ID!) { createReview(input: { productId: $p, rating: 3, body: "To edit" }) { id } }',
            variables: { p: productId },
          },
          caller.headers,
        );
        return created.body.data!.createReview.id;
      },
      send: (id: string, value: string, key?: string) =>
        post(
          {
            query: 'mutation ($id: ID!, $v: String!) { updateReview(id: $id, input: { body: $v }) { body } }',
            variables: { id, v: value },
          },
          { ...caller.headers, ...(key && { 'idempotency-key': key }) },
        ),
      stored: async (id: string) =>
        (await sql<{ v: string }>(dbs.byName.reviews.url, 'SELECT body AS v FROM reviews WHERE id = $1', [id]))[0]!.v,
    },
    updateUser: {
      target: () => Promise.resolve(caller.id),
      send: (id: string, value: string, key?: string) =>
        post(
          { query: 'mutation ($id: ID!, $v: String!) { updateUser(id: $id, input: { name: $v }) { name } }', variables: { id, v: value } },
          { ...caller.headers, ...(key && { 'idempotency-key': key }) },
        ),
      stored: async (id: string) =>
        (await sql<{ v: string }>(dbs.byName.users.url, 'SELECT name AS v FROM users WHERE id = $1', [id]))[0]!.v,
    },
  };

  it.each(Object.entries(EDITS))(
    '%s: a retry with its key replays the first answer and writes nothing, even after a later edit; the key with other input is 422',
    async (_name, edit) => {
      const id = await edit.target();
      const key = randomUUID();
      const first = await edit.send(id, 'First', key);
      expect([first.status, first.body.errors]).toEqual([200, undefined]);
      // Someone edits it again (no key) …
      expect((await edit.send(id, 'Later')).body.errors).toBeUndefined();
      // … and the first request, retried over a flaky network, must not undo that.
      const retried = await Promise.all([edit.send(id, 'First', key), edit.send(id, 'First', key)]);
      for (const retry of retried) expect([retry.status, retry.body]).toEqual([first.status, first.body]);
      expect(await edit.stored(id)).toBe('Later');
      const reused = await edit.send(id, 'Other', key);
      expect([reused.status, errorCodes(reused.body)]).toEqual([422, ['IDEMPOTENCY_KEY_REUSED']]);
      expect(await edit.stored(id)).toBe('Later');
    },
  );
});

describe('SIGTERM under load', () => {
  it('finishes every request in flight: not ready first, then drain', async () => {
    const replica = await platform.spawnGateway({ SHUTDOWN_DELAY_MS: '2000', REQUEST_TIMEOUT_MS: '30000', SUBGRAPH_TIMEOUT_MS: '30000' });
    const ready = replica.url.replace('/graphql', '/ready');
    // Reviews frozen until the replica drains: every request of the load is still in flight when
    // SIGTERM arrives (unfrozen, they would all be answered within a few milliseconds).
    process.kill(platform.pid('reviews'), 'SIGSTOP');
    let load: Array<ReturnType<typeof post>>;
    let exit: Promise<number | null>;
    try {
      load = Array.from({ length: 60 }, () => post({ query: QUERY }, {}, replica.url));
      const inFlight = async () => metricSum(await scrapeMetrics(replica.metricsPort), 'http_requests_in_flight');
      await waitUntil(async () => (await inFlight()) === 60, {
        timeoutMs: 10_000,
        intervalMs: 20,
        what: '60 requests in flight at the replica',
      });
      exit = replica.stop();
      // During SHUTDOWN_DELAY_MS the replica says it is not ready (load balancers stop sending) and still serves.
      await expect.poll(async () => (await fetch(ready)).status, { timeout: 1_500, interval: 50 }).toBe(503);
      expect(await (await fetch(ready)).json()).toEqual({ status: 'draining' });
    } finally {
      process.kill(platform.pid('reviews'), 'SIGCONT');
    }
    load.push(post({ query: QUERY }, {}, replica.url));
    const results = await Promise.all(load);
    expect(await exit).toBe(0);
    expect(results.map((r) => [r.status, r.body.errors ?? null]).filter(([status, errors]) => status !== 200 || errors)).toEqual([]);
  });
});
