/**
 * Per-caller rate limits on the test Redis: one budget shared by every replica, per token
 * subject or client address, 429 with Retry-After, and the in-memory limit while Redis is away.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testToken } from '@tessera/test-helpers';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const redisUrl = process.env.TEST_REDIS_URL;
if (!redisUrl) throw new Error('TEST_REDIS_URL is not set: run the tests with `pnpm test`, which starts Redis.');
// One point a request: bytes cost nothing here (RATE_LIMIT_BYTES_PER_POINT=0), and neither does cost.
const LIMIT = {
  RATE_LIMIT_POINTS: '3',
  RATE_LIMIT_WINDOW_SECONDS: '60',
  RATE_LIMIT_COST_WEIGHTED: 'false',
  RATE_LIMIT_BYTES_PER_POINT: '0',
};

describe('rate limit on Redis', () => {
  let first: TestGateway;
  let second: TestGateway;
  beforeAll(async () => {
    const env = { ...LIMIT, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `rl-${randomBytes(4).toString('hex')}:` };
    [first, second] = await Promise.all([startTestGateway(env), startTestGateway(env)]);
    // Each gateway connects to Redis in the background (until then, its in-memory limiter counts alone).
    await vi.waitFor(() => expect([first.redis?.status, second.redis?.status]).toEqual(['ready', 'ready']), { timeout: 5_000 });
  });
  afterAll(() => Promise.all([first?.close(), second?.close()]));

  it('counts one budget across replicas, answers 429 RATE_LIMITED with Retry-After, and keeps callers apart', async () => {
    const query = { query: '{ __typename }' };
    const statuses = [];
    for (const gateway of [first, second, first]) statuses.push((await gateway.post(query)).status);
    expect(statuses).toEqual([200, 200, 200]);
    const response = await fetch(`${second.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(query),
    });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = (await response.json()) as { errors: Array<{ extensions: Record<string, unknown> }> };
    expect(body.errors[0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', rateLimit: { points: 3, windowSeconds: 60 } });
    // A signed-in caller has a budget of its own, whatever address it comes from.
    const token = await testToken({ sub: 'rate-limited-user' });
    expect((await first.post(query, { authorization: `Bearer ${token}` })).status).toBe(200);
  });
});

describe('rate limit without Redis', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    // Nothing listens on port 9: every Redis command fails, the in-memory limiter decides.
    gateway = await startTestGateway({ ...LIMIT, REDIS_URL: 'redis://127.0.0.1:9' });
  });
  afterAll(() => gateway?.close());

  it('still limits, in memory', async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await gateway.post({ query: '{ __typename }' })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });
});
