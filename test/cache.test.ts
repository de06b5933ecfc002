/**
 * The caches are invisible, except in speed: random interleavings of reads and writes by several
 * callers (anonymous, two users, an admin), each read sent to a gateway with the caches on and to
 * one with them off, in front of the same subgraphs and databases — after every write has
 * completed, the two must answer alike, byte for byte. Then the caches across replicas, and with
 * Redis gone.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  GRAPHQL_RESPONSE_ACCEPT,
  mergeParts,
  metricSum,
  restartRedis,
  scrapeMetrics,
  sqlRows,
  startPlatformWithDatabases,
  startRedis,
  stopRedis,
  testToken,
  type ExtraGateway,
  type GraphQLResponse,
  type PlatformWithDatabases,
} from '@tessera/test-helpers';

let platform: PlatformWithDatabases;
/** The same platform's subgraphs, with a gateway whose caches are off: what the cached one must answer. */
let uncached: ExtraGateway;
const REDIS_KEY_PREFIX = `cache-${randomUUID()}:`;

type Caller = 'anonymous' | 'userA' | 'userB' | 'admin';
const tokens: Partial<Record<Caller, string>> = {};
const ids = { users: [] as string[], products: [] as string[] };

beforeAll(async () => {
  // Every service on the shared Redis: the gateways' entries, and the subgraphs' invalidations.
  platform = await startPlatformWithDatabases('cache', {
    env: { SEED_USERS: '12', SEED_PRODUCTS: '8', SEED_REVIEWS: '40', REDIS_URL: process.env.TEST_REDIS_URL!, REDIS_KEY_PREFIX },
  });
  uncached = await platform.spawnGateway({ CACHE_MODE: 'off' });
  ids.users = (await sqlRows<{ id: string }>(platform.databases.byName.users.url, 'SELECT id FROM users ORDER BY id LIMIT 3')).map(
    (row) => row.id,
  );
  ids.products = (await sqlRows<{ id: string }>(platform.databases.byName.products.url, 'SELECT id FROM products ORDER BY id LIMIT 4')).map(
    (row) => row.id,
  );
  tokens.userA = await testToken({ sub: ids.users[0]! });
  tokens.userB = await testToken({ sub: ids.users[1]! });
  tokens.admin = await testToken({ sub: ids.users[2]!, scopes: ['products:write', 'users:read-email', 'reviews:moderate'] });
}, 120_000);
afterAll(async () => {
  await startRedis();
  await uncached?.stop();
  await platform?.stop();
});

async function send(url: string, caller: Caller, query: string, variables: Record<string, unknown> = {}, accept = GRAPHQL_RESPONSE_ACCEPT) {
  const token = tokens[caller];
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept, ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    body: await response.text(),
    cache: response.headers.get('x-tessera-cache'),
    type: response.headers.get('content-type') ?? '',
  };
}

/** What a client that takes `@defer`'s parts sends. */
const ACCEPT_PARTS = 'multipart/mixed; deferSpec=20220824, application/json';

/** An answer's data and errors, its parts merged when it came in parts. */
const dataAndErrors = (answer: { body: string; type: string }) => {
  const { data, errors } = answer.type.startsWith('multipart/mixed')
    ? mergeParts(answer.body)
    : (JSON.parse(answer.body) as GraphQLResponse);
  return { data, errors: errors ?? [] };
};

/** The body of an answer of {@link send}, parsed. */
const parsed = <TData = Record<string, unknown>>(answer: { body: string }) => JSON.parse(answer.body) as GraphQLResponse<TData>;
/** The data of a product read by id. */
interface ProductRead {
  product: { name: string };
}

/** The reads of a storefront: lists, one product, a profile with a private field, a review. */
const READS = [
  '{ topProducts(first: 5) { id name price { amount currency } averageRating reviewCount reviews(first: 3) { edges { node { id rating body author { id username name } } } } } }',
  'query ($p: ID!) { product(id: $p) { id name description price { amount } inStock averageRating reviews(first: 5) { edges { node { rating body author { name } } } } } }',
  '{ products(first: 10) { edges { node { id name inStock reviewCount } } pageInfo { hasNextPage } } }',
  'query ($u: ID!) { user(id: $u) { id name username email reviews(first: 5) { edges { node { id rating body product { name } } } } } }',
  '{ users(first: 5) { edges { node { id name email } } } }',
  'query ($r: ID!) { review(id: $r) { id rating body author { name } product { name averageRating } } }',
  // Nested entities one subgraph resolves in the same fetch: a product's reviews, their authors' reviews, those products.
  'query ($p: ID!) { product(id: $p) { name reviews(first: 5) { edges { node { rating author { username reviews(first: 5) { edges { node { rating product { name averageRating } } } } } } } } } }',
  'query ($u: ID!) { user(id: $u) { username reviews(first: 3) { edges { node { product { name reviewCount reviews(first: 3) { edges { node { rating author { name } } } } } } } } } }',
];

/**
 * Some of {@link READS} with fragments deferred (nested in the last): asked for in parts, their
 * merged answer must be the uncached gateway's whole answer to the read without `@defer`.
 */
const DEFERRED_READS: Record<number, string> = {
  0: '{ topProducts(first: 5) { id name price { amount currency } ... @defer { averageRating reviewCount reviews(first: 3) { edges { node { id rating body author { id username name } } } } } } }',
  1: 'query ($p: ID!) { product(id: $p) { id name description price { amount } inStock ... @defer(label: "reviews") { averageRating reviews(first: 5) { edges { node { rating body author { name } } } } } } }',
  3: 'query ($u: ID!) { user(id: $u) { id name username ... @defer { email reviews(first: 5) { edges { node { id rating body product { name } } } } } } }',
  6: 'query ($p: ID!) { product(id: $p) { name reviews(first: 5) { edges { node { rating author { username ... @defer { reviews(first: 5) { edges { node { rating product { name ... @defer { averageRating } } } } } } } } } } } }',
};

/** One step: a read by anyone, or a write by someone allowed to make it. */
const step = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('read' as const),
      caller: fc.constantFrom<Caller>('anonymous', 'userA', 'userB', 'admin'),
      query: fc.nat(READS.length - 1),
      pick: fc.nat(10),
      deferred: fc.boolean(),
    }),
  },
  // Writes through either gateway: through the uncached one only the subgraphs' own bumps reach the cache (a fleet mid-rollout).
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      write: fc.constantFrom('price', 'rename', 'review', 'editReview', 'deleteReview', 'renameUser'),
      author: fc.constantFrom<Caller>('userA', 'userB'),
      pick: fc.nat(10),
      n: fc.nat(1_000),
      via: fc.constantFrom('cached' as const, 'uncached' as const),
    }),
  },
);

/** A review the author wrote, if any (for editing and deleting their own). */
async function reviewOf(caller: Caller, pick: number): Promise<string | undefined> {
  const rows = await sqlRows<{ id: string }>(
    platform.databases.byName.reviews.url,
    'SELECT id FROM reviews WHERE author_id = $1 ORDER BY id',
    [ids.users[caller === 'userA' ? 0 : 1]],
  );
  return rows[pick % Math.max(1, rows.length)]?.id;
}

async function write({
  write: kind,
  author,
  pick,
  n,
  via,
}: {
  write: string;
  author: Caller;
  pick: number;
  n: number;
  via: 'cached' | 'uncached';
}): Promise<void> {
  const product = ids.products[pick % ids.products.length]!;
  const gateway = via === 'cached' ? platform.gatewayUrl : uncached.url;
  if (kind === 'price')
    await send(
      gateway,
      'admin',
      'mutation ($id: ID!, $a: Int!) { updateProduct(id: $id, input: { price: { amount: $a, currency: "USD" } }) { id } }',
      { id: product, a: 100 + n },
    );
  if (kind === 'rename')
    await send(gateway, 'admin', 'mutation ($id: ID!, $n: String!) { updateProduct(id: $id, input: { name: $n }) { id } }', {
      id: product,
      n: `Product ${n}`,
    });
  if (kind === 'review')
    await send(
      gateway,
      author,
      'mutation ($p: ID!, $r: Int!) { createReview(input: { productId: $p, rating: $r, body: "Cached?" }) { id } }',
      { p: product, r: (n % 5) + 1 },
    );
  if (kind === 'renameUser')
    await send(gateway, author, 'mutation ($id: ID!, $n: String!) { updateUser(id: $id, input: { name: $n }) { id } }', {
      id: ids.users[author === 'userA' ? 0 : 1],
      n: `User ${n}`,
    });
  const review = kind === 'editReview' || kind === 'deleteReview' ? await reviewOf(author, pick) : undefined;
  if (review && kind === 'editReview')
    await send(gateway, author, 'mutation ($id: ID!, $r: Int!) { updateReview(id: $id, input: { rating: $r, body: "Edited" }) { id } }', {
      id: review,
      r: (n % 5) + 1,
    });
  if (review && kind === 'deleteReview')
    await send(gateway, author, 'mutation ($id: ID!) { deleteReview(id: $id) { id } }', { id: review });
}

async function variablesFor(query: number, pick: number): Promise<Record<string, unknown>> {
  if (query === 1 || query === 6) return { p: ids.products[pick % ids.products.length] };
  if (query === 3 || query === 7) return { u: ids.users[pick % ids.users.length] };
  if (query === 5) {
    const rows = await sqlRows<{ id: string }>(platform.databases.byName.reviews.url, 'SELECT id FROM reviews ORDER BY id DESC LIMIT 5');
    return { r: rows[pick % Math.max(1, rows.length)]?.id ?? randomUUID() };
  }
  return {};
}

describe('the caches are invisible', () => {
  it('answers every read of generated read/write interleavings exactly as the uncached gateway does at that moment', async () => {
    let answeredInParts = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 25 }), async (steps) => {
        for (const s of steps) {
          if (s.kind === 'write') {
            await write(s);
            continue;
          }
          const variables = await variablesFor(s.query, s.pick);
          const truth = await send(uncached.url, s.caller, READS[s.query]!, variables);
          const deferred = s.deferred ? DEFERRED_READS[s.query] : undefined;
          if (deferred) {
            // In parts or, from the response cache, whole: merged, the same data and errors.
            const cached = await send(platform.gatewayUrl, s.caller, deferred, variables, ACCEPT_PARTS);
            if (cached.type.startsWith('multipart/mixed')) answeredInParts += 1;
            expect({ status: cached.status, ...dataAndErrors(cached) }, `${s.caller} ${deferred} ${JSON.stringify(variables)}`).toEqual({
              status: truth.status,
              ...dataAndErrors(truth),
            });
            continue;
          }
          const cached = await send(platform.gatewayUrl, s.caller, READS[s.query]!, variables);
          expect({ status: cached.status, body: cached.body }, `${s.caller} ${READS[s.query]} ${JSON.stringify(variables)}`).toEqual({
            status: truth.status,
            body: truth.body,
          });
        }
      }),
      { numRuns: 25 },
    );
    // Not vacuous: the cached gateway did serve from its caches, and answered deferred reads in parts.
    expect(await hitCount()).toBeGreaterThan(100);
    expect(answeredInParts).toBeGreaterThan(5);
  }, 300_000);
});

describe('answers in parts (@defer)', () => {
  const responseHits = async () =>
    metricSum(await scrapeMetrics(platform.metricsPorts.gateway), 'cache_lookups_total', { cache: 'response', result: 'hit' });

  it('keeps an answer in parts whole once its last part is out, and serves it whole from then on', async () => {
    const variables = { p: ids.products[2]! };
    const inParts = await send(platform.gatewayUrl, 'anonymous', DEFERRED_READS[1]!, variables, ACCEPT_PARTS);
    expect(inParts.type).toMatch(/^multipart\/mixed/);
    const merged = dataAndErrors(inParts);
    expect(merged.errors).toEqual([]);
    const hitsBefore = await responseHits();
    // The entry is written as the last part leaves: the next asks find it, and get the merged answer in one body.
    const whole = await vi.waitFor(
      async () => {
        const answer = await send(platform.gatewayUrl, 'anonymous', DEFERRED_READS[1]!, variables, ACCEPT_PARTS);
        if (answer.type.startsWith('multipart/mixed')) throw new Error('still answered in parts');
        return answer;
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(JSON.parse(whole.body)).toEqual({ data: merged.data });
    expect(await responseHits()).toBeGreaterThan(hitsBefore);
  });

  it('keeps no answer in parts that carried an error in a part', async () => {
    // A public, cacheable read whose deferred part fails: a cursor the API never issued (BAD_USER_INPUT in that part).
    const query =
      'query ($p: ID!) { product(id: $p) { id name ... @defer { reviews(first: 1, after: "not-a-cursor") { edges { node { id } } } } } }';
    const variables = { p: ids.products[3]! };
    const first = await send(platform.gatewayUrl, 'anonymous', query, variables, ACCEPT_PARTS);
    expect(first.type).toMatch(/^multipart\/mixed/);
    expect(dataAndErrors(first).errors.length).toBeGreaterThan(0);
    const hitsBefore = await responseHits();
    for (let i = 0; i < 3; i++) {
      const again = await send(platform.gatewayUrl, 'anonymous', query, variables, ACCEPT_PARTS);
      expect(again.type).toMatch(/^multipart\/mixed/);
    }
    expect(await responseHits()).toBe(hitsBefore);
  });

  it('sends no-store with an answer in parts to a GET: its headers leave before its last part', async () => {
    const url = new URL(platform.gatewayUrl);
    url.searchParams.set('query', DEFERRED_READS[0]!);
    const inParts = await fetch(url, { headers: { accept: ACCEPT_PARTS, 'apollo-require-preflight': 'true' } });
    expect(inParts.headers.get('content-type')).toMatch(/^multipart\/mixed/);
    expect(inParts.headers.get('cache-control')).toBe('no-store');
    await inParts.text();
    url.searchParams.set('query', READS[0]!);
    const whole = await fetch(url, { headers: { accept: GRAPHQL_RESPONSE_ACCEPT, 'apollo-require-preflight': 'true' } });
    expect(whole.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
  });
});

describe('across replicas and failures', () => {
  const READ = 'query ($p: ID!) { product(id: $p) { id name price { amount } } }';

  it('shows a write through one gateway on the next read through another', async () => {
    const other = await platform.spawnGateway({});
    try {
      const product = ids.products[0]!;
      const warmed = await send(other.url, 'anonymous', READ, { p: product });
      expect((await send(other.url, 'anonymous', READ, { p: product })).body).toBe(warmed.body);
      await send(
        platform.gatewayUrl,
        'admin',
        'mutation ($id: ID!) { updateProduct(id: $id, input: { name: "Seen everywhere" }) { id } }',
        { id: product },
      );
      expect(parsed<ProductRead>(await send(other.url, 'anonymous', READ, { p: product })).data!.product.name).toBe('Seen everywhere');
    } finally {
      await other.stop();
    }
  });

  it('keeps answering with Redis killed mid-load — misses only, no error — and caches again once it is back', async () => {
    const product = ids.products[1]!;
    const load = async (rounds: number) => {
      const answers = [];
      for (let i = 0; i < rounds; i++) answers.push(await send(platform.gatewayUrl, 'anonymous', READ, { p: product }));
      return answers;
    };
    await load(3);
    await stopRedis({ signal: 'SIGKILL' });
    try {
      const hitsAtKill = await hitCount();
      const during = await load(10);
      expect(during.map((a) => [a.status, parsed(a).errors ?? null])).toEqual(Array.from({ length: 10 }, () => [200, null]));
      // Hit rate 0 while Redis is gone: every read went to the subgraphs.
      expect(await hitCount()).toBe(hitsAtKill);
    } finally {
      await restartRedis();
    }
    const hitsBefore = await hitCount();
    await expect.poll(async () => (await load(2), (await hitCount()) > hitsBefore), { timeout: 15_000, interval: 250 }).toBe(true);
  });
});

describe('operators', () => {
  const READ = 'query ($p: ID!) { product(id: $p) { id name } }';
  const invalidate = (body: string, method = 'POST') =>
    fetch(`http://127.0.0.1:${platform.metricsPorts.gateway}/cache/invalidate`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: method === 'POST' ? body : undefined,
    });
  /** A change made in the database behind the gateway's back: no write reported it, so only an operator's invalidation brings it. */
  const renameInDatabase = (id: string, name: string) =>
    sqlRows(platform.databases.byName.products.url, 'UPDATE products SET name = $2 WHERE id = $1 RETURNING id', [id, name]);
  const nameRead = async (id: string) =>
    parsed<ProductRead>(await send(platform.gatewayUrl, 'anonymous', READ, { p: id })).data!.product.name;

  it.each([
    ['an entity', (id: string) => ({ entities: [{ type: 'Product', id }] })],
    ['a type', () => ({ types: ['Product'] })],
    ['everything', () => ({ all: true })],
  ])('invalidates %s through the internal listener', async (_what, body) => {
    const product = ids.products[3]!;
    const cachedName = await nameRead(product);
    await renameInDatabase(product, `Behind the cache ${randomUUID()}`);
    // Still cached: the change was not a write through the platform.
    expect(await nameRead(product)).toBe(cachedName);
    const answer = await invalidate(JSON.stringify(body(product)));
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { invalidated: number }).invalidated).toBeGreaterThan(0);
    expect(await nameRead(product)).toMatch(/^Behind the cache /);
  });

  it('refuses an invalidation it cannot read, with 400, and anything but POST', async () => {
    for (const body of ['{}', '{"types": "Product"}', '{"entities": [{"type": "Product"}]}', '{"all": "yes"}', 'not json', '[1]']) {
      const answer = await invalidate(body);
      expect(answer.status, body).toBe(400);
      expect(Object.keys((await answer.json()) as object), body).toEqual(['error']);
    }
    const get = await invalidate('', 'GET');
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
  });

  it('says x-tessera-cache (hit, miss, partial) in development only', async () => {
    expect((await send(platform.gatewayUrl, 'anonymous', READ, { p: ids.products[0] })).cache).toBeNull();
    const development = await platform.spawnGateway({ NODE_ENV: 'development' });
    try {
      const cold = await send(development.url, 'anonymous', READ, { p: randomUUID() });
      expect(cold.cache).toBe('miss');
      const product = ids.products[2]!;
      await send(platform.gatewayUrl, 'admin', 'mutation ($id: ID!) { updateProduct(id: $id, input: { description: "Headers" }) { id } }', {
        id: product,
      });
      const COUNT = 'query ($p: ID!) { product(id: $p) { id reviewCount } }';
      expect((await send(development.url, 'anonymous', COUNT, { p: product })).cache).toBe('miss');
      expect((await send(development.url, 'anonymous', COUNT, { p: product })).cache).toBe('hit');
      // Another root document (a miss) needing the same entity fetch from reviews (a hit): partly cached.
      expect(
        (await send(development.url, 'anonymous', 'query ($p: ID!) { product(id: $p) { id name reviewCount } }', { p: product })).cache,
      ).toBe('partial');
    } finally {
      await development.stop();
    }
  });
});

/** Cache hits of the platform's gateway so far, in all its caches. */
async function hitCount(): Promise<number> {
  return metricSum(await scrapeMetrics(platform.metricsPorts.gateway), 'cache_lookups_total', { result: 'hit' });
}
