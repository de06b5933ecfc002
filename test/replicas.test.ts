/**
 * Reads on PostgreSQL streaming replicas, proven on real replication (a primary and a
 * `pg_basebackup -R` replica of the test's own, `scripts/test-services/replication.sh`), the three
 * subgraphs reading on the replica and writing on the primary, two gateways on one Redis:
 * - replay paused: a caller's write is visible to that caller's next read through either gateway,
 *   not yet to another caller (who reads the replica, caches off), and everyone sees it once
 *   replay resumes; with the caches on, an entry refilled after the write shows it;
 * - replay paused past DATABASE_REPLICA_MAX_LAG_MS: the replica leaves rotation, other callers read
 *   the primary (no error) until it has caught up;
 * - the replica stopped under reads: none fails; restarted, it takes reads again;
 * - the primary stopped: reads go on from the replica, writes fail with DATABASE_UNAVAILABLE;
 *   restarted, writes work again — no process restarted.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { createClient as createWsClient } from 'graphql-ws';
import {
  createSubgraphDatabases,
  metricSum,
  scrapeMetrics,
  sqlRows,
  startPlatform,
  startReplication,
  SUBGRAPH_NAMES,
  testToken,
  type ExtraGateway,
  type Platform,
  type Replication,
  type SubgraphDatabases,
} from '@tessera/test-helpers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';

let replication: Replication;
let databases: SubgraphDatabases;
let platform: Platform;
/** A second gateway on the same Redis, caches on. */
let other: ExtraGateway;
/** Gateways with the caches off: what the replicas answer, unhidden. */
let uncached: ExtraGateway;
let users: string[];
const tokens: Record<string, string> = {};

/** Every subgraph's `<NAME>_DATABASE_REPLICA_URLS`: its database on the replica. */
const replicaUrls = () =>
  Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_DATABASE_REPLICA_URLS`, replication.onReplica(databases.byName[name].url)]),
  );

/** A platform on the test's databases and the test Redis (keys of its own), with `env` besides. */
const platformOnTheDatabases = (name: string, env: Record<string, string>) =>
  startPlatform({
    env: { ...databases.env, REDIS_URL: process.env.TEST_REDIS_URL!, REDIS_KEY_PREFIX: `${name}-${randomUUID()}:`, ...env },
  });

beforeAll(async () => {
  replication = await startReplication();
  databases = await createSubgraphDatabases('replicas', replication.primaryUrl);
  platform = await platformOnTheDatabases('replicas', {
    ...replicaUrls(),
    SEED_USERS: '8',
    SEED_PRODUCTS: '4',
    SEED_REVIEWS: '20',
    // Replay paused, the replica falls behind for the whole test: it must stay in rotation meanwhile.
    DATABASE_REPLICA_MAX_LAG_MS: '60000',
  });
  other = await platform.spawnGateway({});
  uncached = await platform.spawnGateway({ CACHE_MODE: 'off' });
  users = (await sqlRows<{ id: string }>(databases.byName.users.url, 'SELECT id FROM users ORDER BY id LIMIT 3')).map((row) => row.id);
  tokens.writer = await testToken({ sub: users[0]! });
  tokens.reader = await testToken({ sub: users[1]! });
  // Every subgraph reads on the replica once it has caught up with the seed.
  await vi.waitFor(
    async () => {
      await nameAt(uncached.url, tokens.reader);
      expect(await reads('users', 'replica')).toBeGreaterThan(0);
    },
    { timeout: 30_000, interval: 200 },
  );
}, 180_000);

afterAll(async () => {
  await replication?.resumeReplay().catch(() => {});
  await other?.stop();
  await uncached?.stop();
  await platform?.stop();
  await databases?.drop().catch(() => {});
  await replication?.destroy();
});

async function send(url: string, query: string, variables: Record<string, unknown>, token?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    body: (await response.json()) as { data?: Record<string, unknown> | null; errors?: Array<{ extensions?: { code?: string } }> },
  };
}

const NAME = 'query ($id: ID!) { user(id: $id) { id name } }';
const nameAt = async (url: string, token?: string) => {
  const { body } = await send(url, NAME, { id: users[0] }, token);
  return (body.data?.user as { name: string } | null)?.name;
};
const rename = (name: string, url = platform.gatewayUrl) =>
  send(
    url,
    'mutation ($id: ID!, $n: String!) { updateUser(id: $id, input: { name: $n }) { id name } }',
    { id: users[0], n: name },
    tokens.writer,
  );

/** Reads routed by a subgraph, by target (and reason, for the primary). */
async function reads(subgraph: 'users' | 'products' | 'reviews', target: 'replica' | 'primary', reason?: string): Promise<number> {
  return metricSum(await scrapeMetrics(platform.metricsPorts[subgraph]), 'db_reads_total', { target, ...(reason && { reason }) });
}

describe('read your writes', () => {
  it("shows a caller's write to that caller through either gateway while the replica has not replayed it, and to others once it has", async () => {
    const before = await nameAt(uncached.url, tokens.reader);
    await replication.pauseReplay();
    try {
      const renamed = `Renamed ${randomUUID().slice(0, 8)}`;
      const written = await rename(renamed);
      expect(written.status, JSON.stringify(written.body)).toBe(200);
      // With the caches on, an entry the write invalidated is refilled only from a read that shows it:
      // another caller, first to read after the write, fills it (the replica has not replayed the write).
      expect(await nameAt(other.url, tokens.reader), 'another caller, caches on, first to read after the write').toBe(renamed);
      const behindBefore = await reads('users', 'primary', 'behind');
      // The writer, through each gateway (the other one learned the write's position from Redis).
      expect(await nameAt(platform.gatewayUrl, tokens.writer), 'the writer, through the gateway it wrote through').toBe(renamed);
      expect(await nameAt(other.url, tokens.writer), 'the writer, through the other gateway').toBe(renamed);
      expect(await nameAt(uncached.url, tokens.writer), 'the writer, caches off').toBe(renamed);
      expect(await reads('users', 'primary', 'behind')).toBeGreaterThan(behindBefore);
      // Another caller reads the replica, which has not replayed the write: the old name.
      expect(await nameAt(uncached.url, tokens.reader), 'another caller, caches off: the replica').toBe(before);
      expect(await nameAt(uncached.url), 'anonymous, caches off: the replica').toBe(before);
    } finally {
      await replication.resumeReplay();
    }
    // Replay resumed: everyone sees it, within the lag bound.
    await vi.waitFor(async () => expect(await nameAt(uncached.url, tokens.reader)).toMatch(/^Renamed /), { timeout: 5_000, interval: 100 });
  });
});

describe("a write's checks on other subgraphs", () => {
  it('reviews a product created a moment ago while the replica has not replayed it: the existence check reads the primary', async () => {
    const admin = await testToken({ sub: users[2]!, scopes: ['products:write'] });
    await replication.pauseReplay();
    try {
      const created = await send(
        uncached.url,
        'mutation ($s: String!) { createProduct(input: { sku: $s, name: "Just made", price: { amount: 100, currency: "EUR" } }) { id } }',
        { s: `RYW-${randomUUID().slice(0, 8)}` },
        admin,
      );
      const product = (created.body.data?.createProduct as { id: string } | undefined)?.id;
      expect(product, JSON.stringify(created.body)).toBeDefined();
      // By another caller too: the product is on the primary only.
      const review = await send(
        uncached.url,
        'mutation ($p: ID!) { createReview(input: { productId: $p, rating: 5, body: "Fresh off the line" }) { id } }',
        { p: product },
        tokens.reader,
      );
      expect(review.body.errors, JSON.stringify(review.body)).toBeUndefined();
    } finally {
      await replication.resumeReplay();
    }
  });
});

describe('subscription events', () => {
  it("read the event's own subgraph on its primary: a new review's event counts it while the replica has not replayed it", async () => {
    // A seeded product, which nothing has reviewed since the replica caught up with the seed.
    const [product] = await sqlRows<{ id: string }>(
      databases.byName.products.url,
      "SELECT id FROM products WHERE sku NOT LIKE 'RYW-%' ORDER BY id LIMIT 1",
    );
    const client = createWsClient({
      url: uncached.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${tokens.reader}` },
    });
    const events: Array<{ reviewAdded?: { id: string; product: { reviewCount: number } } }> = [];
    const unsubscribe = client.subscribe(
      { query: 'subscription ($p: ID!) { reviewAdded(productId: $p) { id product { reviewCount } } }', variables: { p: product!.id } },
      { next: (result) => void events.push(result.data as (typeof events)[number]), error: () => {}, complete: () => {} },
    );
    await replication.pauseReplay();
    try {
      await vi.waitFor(async () =>
        expect(metricSum(await scrapeMetrics(uncached.metricsPort), 'subscriptions_active', {})).toBeGreaterThan(0),
      );
      const created = await send(
        uncached.url,
        'mutation ($p: ID!) { createReview(input: { productId: $p, rating: 4, body: "Counted at once" }) { id } }',
        { p: product!.id },
        tokens.writer,
      );
      expect(created.body.errors, JSON.stringify(created.body)).toBeUndefined();
      // The writer's own read: the count with its review (on the primary, the replica being behind).
      const truth = await send(uncached.url, 'query ($p: ID!) { product(id: $p) { reviewCount } }', { p: product!.id }, tokens.writer);
      const { reviewCount } = truth.body.data?.product as { reviewCount: number };
      await vi.waitFor(() => expect(events.length).toBeGreaterThan(0), { timeout: 15_000, interval: 20 });
      expect(events[0]!.reviewAdded).toEqual({ id: (created.body.data?.createReview as { id: string }).id, product: { reviewCount } });
      // An anonymous read (no write of its own to wait for), on the replica, does not count it yet: the event did not read there.
      const replica = await send(uncached.url, 'query ($p: ID!) { product(id: $p) { reviewCount } }', { p: product!.id });
      expect((replica.body.data?.product as { reviewCount: number }).reviewCount).toBe(reviewCount - 1);
    } finally {
      unsubscribe();
      await client.dispose();
      await replication.resumeReplay();
    }
  });
});

describe('the lag bound', () => {
  /** Subgraphs on the same primary and replica that take a replica out of rotation past 1 s of lag, and a gateway without caches. */
  let bounded: Platform;
  beforeAll(async () => {
    bounded = await platformOnTheDatabases('bounded', { ...replicaUrls(), CACHE_MODE: 'off', DATABASE_REPLICA_MAX_LAG_MS: '1000' });
  }, 120_000);
  afterAll(() => bounded?.stop());

  const boundedReads = async (target: 'replica' | 'primary', reason?: string) =>
    metricSum(await scrapeMetrics(bounded.metricsPorts.users), 'db_reads_total', { target, ...(reason && { reason }) });
  const lagSeconds = async () => metricSum(await scrapeMetrics(bounded.metricsPorts.users), 'db_replica_lag_seconds', {});

  it("keeps a replica that replayed everything in rotation while the primary idles after a WAL switch (its insert position then points past the new segment's header)", async () => {
    await sqlRows(replication.primaryUrl, 'SELECT pg_switch_wal()');
    const onReplica = await boundedReads('replica');
    // Past the 1 s bound, with nothing written since.
    await new Promise((done) => setTimeout(done, 2_000));
    expect(await nameAt(bounded.gatewayUrl, tokens.reader)).toBeDefined();
    expect(await boundedReads('replica')).toBeGreaterThan(onReplica);
    expect(await lagSeconds()).toBeLessThan(1);
  });

  it('takes a replica lagging past DATABASE_REPLICA_MAX_LAG_MS out of rotation (other callers read the primary, no error) and back once it caught up', async () => {
    const onReplica = await boundedReads('replica');
    await vi.waitFor(async () => {
      expect(await nameAt(bounded.gatewayUrl, tokens.reader)).toBeDefined();
      expect(await boundedReads('replica')).toBeGreaterThan(onReplica);
    });
    const before = await nameAt(uncached.url, tokens.reader);
    await replication.pauseReplay();
    try {
      const renamed = `Lagged ${randomUUID().slice(0, 8)}`;
      expect((await rename(renamed, bounded.gatewayUrl)).body.errors).toBeUndefined();
      const lagging = await boundedReads('primary', 'lagging');
      // Once the write is more than 1 s old on a paused replica, another caller's reads go to the primary.
      await vi.waitFor(
        async () => {
          expect(await lagSeconds()).toBeGreaterThan(1);
          expect(await nameAt(bounded.gatewayUrl, tokens.reader), 'another caller, past the lag bound').toBe(renamed);
        },
        { timeout: 10_000, interval: 100 },
      );
      expect(await boundedReads('primary', 'lagging')).toBeGreaterThan(lagging);
      // The same replica, still paused, behind subgraphs with a 60 s bound: still the old name there.
      expect(await nameAt(uncached.url, tokens.reader), 'the replica itself has not replayed the write').toBe(before);
    } finally {
      await replication.resumeReplay();
    }
    // Caught up: in rotation again, with no restart.
    const afterResume = await boundedReads('replica');
    await vi.waitFor(
      async () => {
        expect(await nameAt(bounded.gatewayUrl, tokens.reader)).toMatch(/^Lagged /);
        expect(await boundedReads('replica')).toBeGreaterThan(afterResume);
        expect(await lagSeconds()).toBeLessThan(1);
      },
      { timeout: 10_000, interval: 200 },
    );
  });
});

describe('failures', () => {
  it('loses no read while the replica is down, and reads on it again once it is back', async () => {
    const failed: unknown[] = [];
    let stop = false;
    const load = (async () => {
      while (!stop) {
        const { status, body } = await send(uncached.url, NAME, { id: users[1] }, tokens.reader);
        if (status !== 200 || body.errors) failed.push(body);
      }
    })();
    await replication.stop('replica');
    const downBefore = await reads('users', 'primary', 'down');
    await vi.waitFor(async () => expect(await reads('users', 'primary', 'down')).toBeGreaterThan(downBefore), {
      timeout: 10_000,
      interval: 100,
    });
    await replication.resume('replica');
    const onReplica = await reads('users', 'replica');
    await vi.waitFor(async () => expect(await reads('users', 'replica')).toBeGreaterThan(onReplica + 5), {
      timeout: 30_000,
      interval: 200,
    });
    stop = true;
    await load;
    expect(failed).toEqual([]);
  });

  it('keeps reading from the replica while the primary is down, refuses writes with DATABASE_UNAVAILABLE, and writes again once it is back', async () => {
    await replication.stop('primary');
    try {
      await vi.waitFor(async () => expect(await nameAt(uncached.url, tokens.reader)).toBeDefined(), { timeout: 10_000, interval: 200 });
      const write = await rename('While the primary is down', uncached.url);
      expect(write.status).toBeLessThan(500);
      expect(write.body.errors?.map((e) => e.extensions?.code)).toContain('DATABASE_UNAVAILABLE');
      expect((await send(uncached.url, NAME, { id: users[1] }, tokens.reader)).body.errors).toBeUndefined();
    } finally {
      await replication.resume('primary');
    }
    await vi.waitFor(async () => expect((await rename('After the primary is back', uncached.url)).body.errors).toBeUndefined(), {
      timeout: 30_000,
      interval: 500,
    });
  });
});

describe('against the same platform on the primary alone', () => {
  /** The same databases behind subgraphs without replicas and a gateway without caches: the truth at any moment. */
  let primaryOnly: Platform;
  beforeAll(async () => {
    primaryOnly = await platformOnTheDatabases('primary-only', { CACHE_MODE: 'off' });
  }, 120_000);
  afterAll(async () => {
    await replication.resumeReplay().catch(() => {});
    await primaryOnly?.stop();
  });

  const PROFILE = 'query ($id: ID!) { user(id: $id) { id name reviews(first: 5) { edges { node { body } } } } }';
  type Caller = 0 | 1 | 2;
  const step = fc.oneof(
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('rename' as const), caller: fc.constantFrom<Caller>(0, 1, 2) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('review' as const), caller: fc.constantFrom<Caller>(0, 1, 2) }) },
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('read' as const),
        caller: fc.constantFrom<Caller>(0, 1, 2),
        of: fc.constantFrom<Caller>(0, 1, 2),
        cached: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('pause' as const, 'resume' as const) }) },
  );

  it('answers a writer exactly as the primary does, and anyone else with an earlier answer of the primary at worst, caught up once replay is', async () => {
    const token = async (caller: Caller) => (tokens[`caller${caller}`] ??= await testToken({ sub: users[caller]! }));
    const profile = async (url: string, of: Caller, caller: Caller) =>
      JSON.stringify((await send(url, PROFILE, { id: users[of] }, await token(caller))).body);
    let product: string | undefined;
    // Every value the primary gave for each part of each profile (the name from the users database,
    // the reviews from the reviews database: each replica lags on its own), across runs: a stale
    // answer must be made of such values.
    const versions = new Map<string, Set<string>>();
    const partsOf = (answer: string) => {
      const user = (JSON.parse(answer) as { data?: { user?: { name?: unknown; reviews?: unknown } } }).data?.user;
      return { name: JSON.stringify(user?.name), reviews: JSON.stringify(user?.reviews) };
    };
    const truth = async (of: Caller) => {
      const now = await profile(primaryOnly.gatewayUrl, of, of);
      for (const [part, value] of Object.entries(partsOf(now))) {
        const key = `${of}:${part}`;
        versions.set(key, (versions.get(key) ?? new Set()).add(value));
      }
      return now;
    };
    const earlier = (of: Caller, answer: string) =>
      Object.entries(partsOf(answer)).every(([part, value]) => versions.get(`${of}:${part}`)?.has(value) ?? false);
    // From where the replica has caught up with the primary: no answer older than these.
    for (const of of [0, 1, 2] as const)
      await vi.waitFor(async () => expect(await profile(uncached.url, of, of)).toBe(await truth(of)), { timeout: 5_000, interval: 100 });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 20 }), async (steps) => {
        const stale: Array<{ of: Caller; caller: Caller; url: string }> = [];
        for (const s of steps) {
          if (s.kind === 'pause') await replication.pauseReplay();
          if (s.kind === 'resume') await replication.resumeReplay();
          if (s.kind === 'rename' || s.kind === 'review') {
            await truth(s.caller);
            product ??= (await sqlRows<{ id: string }>(databases.byName.products.url, 'SELECT id FROM products LIMIT 1'))[0]!.id;
            const { body } =
              s.kind === 'rename'
                ? await send(
                    platform.gatewayUrl,
                    'mutation ($id: ID!, $n: String!) { updateUser(id: $id, input: { name: $n }) { id } }',
                    { id: users[s.caller], n: `Name ${randomUUID().slice(0, 8)}` },
                    await token(s.caller),
                  )
                : await send(
                    platform.gatewayUrl,
                    'mutation ($p: ID!, $b: String!) { createReview(input: { productId: $p, rating: 3, body: $b }) { id } }',
                    { p: product, b: `Review ${randomUUID().slice(0, 8)}` },
                    await token(s.caller),
                  );
            expect(body.errors, JSON.stringify(body)).toBeUndefined();
            await truth(s.caller);
          }
          if (s.kind === 'read') {
            const url = s.cached ? other.url : uncached.url;
            const answer = await profile(url, s.of, s.caller);
            const now = await truth(s.of);
            if (s.caller === s.of) expect(answer, 'a writer reads its own writes').toBe(now);
            else if (answer !== now) {
              expect(earlier(s.of, answer), `a stale answer is made of earlier answers of the primary: ${answer}`).toBe(true);
              stale.push({ of: s.of, caller: s.caller, url });
            }
          }
        }
        await replication.resumeReplay();
        // Replay resumed, every stale read catches up within the lag bound.
        for (const { of, caller, url } of stale)
          await vi.waitFor(async () => expect(await profile(url, of, caller)).toBe(await truth(of)), { timeout: 5_000, interval: 100 });
      }),
      { numRuns: Number(process.env.REPLICA_PROPERTY_RUNS ?? 15) },
    );
  }, 300_000);
});
