/**
 * Persisted queries on a real Redis server: Apollo's APQ handshake shared by gateway
 * replicas, surviving restarts and Redis outages, and trusted documents in each mode.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  errorCodes,
  GRAPHQL_RESPONSE_ACCEPT,
  postGraphQL,
  requireEnv,
  startPlatformWithDatabases,
  startRedis,
  stopRedis,
  type Connection,
  type GraphQLHttpResponse,
  type GraphQLResponse,
  type PlatformWithDatabases,
} from '@tessera/test-helpers';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const TOP = '{ topProducts(first: 2) { name } }';
const USERS = '{ users(first: 2) { edges { node { username } } } }';

let platform: PlatformWithDatabases;
let redisEnv: Record<string, string>;

beforeAll(async () => {
  // A key prefix of this run's own: nothing else in the Redis is touched or seen.
  redisEnv = { REDIS_URL: requireEnv('TEST_REDIS_URL'), REDIS_KEY_PREFIX: `test-${randomBytes(4).toString('hex')}:` };
  platform = await startPlatformWithDatabases('pq', {
    env: {
      ...redisEnv,
      SEED_USERS: '20',
      SEED_PRODUCTS: '10',
      SEED_REVIEWS: '50',
    },
  });
}, 120_000);

afterAll(async () => {
  await startRedis().catch(() => undefined);
  await platform?.stop();
});

/** The data of every query sent here (each selects some of these). */
interface Answers {
  topProducts: Array<{ name: string }>;
  users: Connection<{ username: string }>;
  products: Connection<{ id: string }>;
}

/** One APQ request: hash always, query text when given; POST, or GET with URL parameters. */
async function apq(
  url: string,
  query: string,
  {
    sendText = false,
    method = 'POST',
    hash = sha256(query),
    headers = {},
  }: { sendText?: boolean; method?: 'GET' | 'POST'; hash?: string; headers?: Record<string, string> } = {},
): Promise<GraphQLHttpResponse<Answers>> {
  const extensions = { persistedQuery: { version: 1, sha256Hash: hash } };
  if (method === 'POST') return postGraphQL<Answers>(url, { ...(sendText && { query }), extensions }, headers);
  const parameters = new URLSearchParams({ ...(sendText && { query }), extensions: JSON.stringify(extensions) });
  const response = await fetch(`${url}?${parameters}`, {
    headers: { 'apollo-require-preflight': 'true', accept: GRAPHQL_RESPONSE_ACCEPT, ...headers },
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResponse<Answers> };
}
/** The code of an answer's first error. */
const code = (answer: { body: GraphQLResponse<unknown> }) => errorCodes(answer.body)[0];

describe('automatic persisted queries', () => {
  it('completes the handshake: unknown hash, then hash with text, then hash alone', async () => {
    const query = `${TOP} # handshake`;
    const miss = await apq(platform.gatewayUrl, query);
    expect(code(miss)).toBe('PERSISTED_QUERY_NOT_FOUND');
    const register = await apq(platform.gatewayUrl, query, { sendText: true });
    expect(register.body.data!.topProducts).toHaveLength(2);
    const hit = await apq(platform.gatewayUrl, query);
    expect(hit.body).toEqual(register.body);
  });

  it('serves GET by hash with a CDN-cacheable header, and never runs a mutation over GET', async () => {
    const query = `${USERS} # get`;
    expect(code(await apq(platform.gatewayUrl, query, { method: 'GET' }))).toBe('PERSISTED_QUERY_NOT_FOUND');
    await apq(platform.gatewayUrl, query, { method: 'GET', sendText: true });
    const hit = await apq(platform.gatewayUrl, query, { method: 'GET' });
    expect(hit.body.data!.users.edges).toHaveLength(2);
    expect(hit.headers.get('cache-control')).toBe('public, max-age=60');
    const mutation = 'mutation { deleteReview(id: "x") { id } }';
    const get = await apq(platform.gatewayUrl, mutation, { method: 'GET', sendText: true });
    expect(get.status).toBe(405);
    expect(get.headers.get('cache-control') ?? '').not.toContain('public');
  });

  it('rejects a hash that is not the hash of the text', async () => {
    const response = await apq(platform.gatewayUrl, TOP, { sendText: true, hash: sha256('something else') });
    expect(response.status).toBe(400);
    expect(code(response)).toBe('PERSISTED_QUERY_HASH_MISMATCH');
  });

  it('is shared by gateway replicas on one Redis, and survives a gateway restart', async () => {
    const query = `${TOP} # replicas`;
    const replica = await platform.spawnGateway();
    try {
      await apq(platform.gatewayUrl, query, { sendText: true });
      expect((await apq(replica.url, query)).body.data!.topProducts).toHaveLength(2);
    } finally {
      await replica.stop();
    }
    await platform.kill('gateway');
    await platform.restart('gateway');
    expect((await apq(platform.gatewayUrl, query)).body.data!.topProducts).toHaveLength(2);
  });

  it('forgets a query after APQ_TTL_SECONDS', async () => {
    const replica = await platform.spawnGateway({ APQ_TTL_SECONDS: '1' });
    try {
      const query = `${TOP} # ttl`;
      await apq(replica.url, query, { sendText: true });
      expect((await apq(replica.url, query)).body.data).toBeDefined();
      await expect
        .poll(async () => code(await apq(replica.url, query)), { timeout: 10_000, interval: 250 })
        .toBe('PERSISTED_QUERY_NOT_FOUND');
    } finally {
      await replica.stop();
    }
  });

  it('never answers 500 while Redis is down, and recovers by itself when it returns', async () => {
    const query = `${TOP} # outage`;
    await stopRedis({ signal: 'SIGKILL' });
    try {
      const hashOnly = await apq(platform.gatewayUrl, query);
      expect(hashOnly.status).toBeLessThan(500);
      expect(code(hashOnly)).toBe('PERSISTED_QUERY_NOT_FOUND');
      const withText = await apq(platform.gatewayUrl, query, { sendText: true });
      expect(withText.status).toBe(200);
      expect(withText.body.data!.topProducts).toHaveLength(2);
    } finally {
      await startRedis();
    }
    // The client reconnects in the background: register again until it sticks.
    await vi.waitFor(
      async () => {
        await apq(platform.gatewayUrl, query, { sendText: true });
        expect((await apq(platform.gatewayUrl, query)).body.data!.topProducts).toHaveLength(2);
      },
      { timeout: 10_000, interval: 200 },
    );
    await expect.poll(() => platform.logs('gateway')).toContain('redis');
  });
});

describe('trusted documents', () => {
  let dir: string;
  const listed = { id: 'top-products-v1', body: '{ topProducts(first: 3) { name } }' };
  const listedByHash = { id: sha256(USERS), body: USERS };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-pq-'));
    const manifest = join(dir, 'manifest.json');
    await writeFile(
      manifest,
      JSON.stringify({
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: [
          { ...listed, name: 'TopProducts', type: 'query' },
          { ...listedByHash, name: 'Users', type: 'query' },
        ],
      }),
    );
    const root = resolve(import.meta.dirname, '..');
    const { stdout } = await promisify(execFile)(
      resolve(root, 'node_modules/.bin/tsx'),
      ['gateway/src/cli/publish-manifest.ts', manifest],
      {
        cwd: root,
        env: { ...process.env, ...redisEnv },
      },
    );
    expect(stdout).toContain('published 2 operations');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('off: manifest ids are unknown hashes', async () => {
    expect(code(await apq(platform.gatewayUrl, listed.body, { hash: listed.id }))).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('allow: manifest ids resolve, free-form queries still run', async () => {
    const gateway = await platform.spawnGateway({ PERSISTED_QUERIES_MODE: 'allow' });
    try {
      expect((await apq(gateway.url, listed.body, { hash: listed.id })).body.data!.topProducts).toHaveLength(3);
      expect((await apq(gateway.url, USERS, { hash: listedByHash.id })).body.data!.users.edges).toHaveLength(2);
      const free = await postGraphQL<Answers>(gateway.url, { query: '{ products(first: 1) { edges { node { id } } } }' });
      expect(free.body.data!.products.edges).toHaveLength(1);
    } finally {
      await gateway.stop();
    }
  });

  it('enforce: only listed operations run, unless a developer key is presented', async () => {
    const gateway = await platform.spawnGateway({ PERSISTED_QUERIES_MODE: 'enforce', DEVELOPER_KEYS: 'sandbox-secret' });
    const post = (query: string, headers: Record<string, string> = {}) => postGraphQL<Answers>(gateway.url, { query }, headers);
    try {
      expect((await apq(gateway.url, listed.body, { hash: listed.id })).body.data!.topProducts).toHaveLength(3);
      expect((await post(listed.body)).body.data!.topProducts).toHaveLength(3);

      const unlisted = await post('{ products(first: 1) { edges { node { id } } } }');
      expect(unlisted.status).toBe(400);
      expect(code(unlisted)).toBe('PERSISTED_QUERY_NOT_IN_LIST');
      const viaApq = await apq(gateway.url, '{ products(first: 2) { edges { node { id } } } }', { sendText: true });
      expect(code(viaApq)).toBe('PERSISTED_QUERY_NOT_IN_LIST');
      expect(code(await post('{ products(first: 1) { edges { node { id } } } }', { 'x-tessera-developer-key': 'wrong' }))).toBe(
        'PERSISTED_QUERY_NOT_IN_LIST',
      );

      const developer = await post('{ products(first: 1) { edges { node { id } } } }', { 'x-tessera-developer-key': 'sandbox-secret' });
      expect(developer.body.data!.products.edges).toHaveLength(1);
    } finally {
      await gateway.stop();
    }
  });
});
