/**
 * Replicas of a subgraph that share a Redis (REDIS_URL) remember the signatures they accepted
 * together: a request captured on its way to one replica is refused by every other. Needs the
 * test Redis of TEST_REDIS_URL; the same subgraph without Redis is in ../runtime.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { captured, send, startReplica } from '../fixtures/tiny-users.js';

const REDIS_URL = process.env.TEST_REDIS_URL;
if (!REDIS_URL) throw new Error('TEST_REDIS_URL is not set: run the tests with `pnpm test`, which starts Redis.');
const REDIS_KEY_PREFIX = `nonces-${Date.now()}:`;

describe('signatures over what the subgraph acts on, remembered by every replica', () => {
  it('with REDIS_URL: a captured request replayed to another replica is refused there too', async () => {
    const [a, b] = await Promise.all([startReplica({ REDIS_URL, REDIS_KEY_PREFIX }), startReplica({ REDIS_URL, REDIS_KEY_PREFIX })]);
    try {
      // Each replica connects to Redis in the background; until both have, each remembers alone.
      const replayed = async (first: string, second: string) => {
        const request = captured();
        return (await send(first, request)) === 200 && (await send(second, request)) === 401;
      };
      await expect
        .poll(async () => (await replayed(a.url, b.url)) && replayed(b.url, a.url), { timeout: 10_000, interval: 100 })
        .toBe(true);
      const request = captured();
      expect(await send(a.url, request)).toBe(200);
      expect(await send(b.url, request)).toBe(401);
      expect(await send(a.url, request)).toBe(401);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 60_000);
});
