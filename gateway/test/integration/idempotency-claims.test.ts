/**
 * One idempotency key, one operation, across subgraphs: the gateway binds a caller's key to the
 * fingerprint it first came with, on the test Redis (shared by replicas) or in memory.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createKeyClaims, type ClaimOutcome } from '../../src/features/idempotency/index.js';

const redisUrl = process.env.TEST_REDIS_URL;
if (!redisUrl) throw new Error('TEST_REDIS_URL is not set: run the tests with `pnpm test`, which starts Redis.');
const logger = pino({ level: 'silent' });
const redis = new Redis(redisUrl);
afterAll(() => redis.quit());

describe('createKeyClaims', () => {
  it('on Redis: binds a key to its first operation for every replica, per caller', async () => {
    const keyPrefix = `claims-${randomBytes(4).toString('hex')}:`;
    const [a, b] = [createKeyClaims({ redis, keyPrefix, logger }), createKeyClaims({ redis, keyPrefix, logger })];
    expect(await a.claim('u1', 'k', 'f1')).toBe('new');
    expect(await b.claim('u1', 'k', 'f1')).toBe('same');
    expect(await b.claim('u1', 'k', 'f2')).toBe('other');
    expect(await a.claim('u2', 'k', 'f2')).toBe('new');
    expect(await a.claim(undefined, 'k', 'f3')).toBe('new');
    const ttl = await redis.ttl((await redis.keys(`${keyPrefix}idempotency:*`))[0]!);
    expect(ttl).toBeGreaterThan(86_000);
  });

  it('for generated sequences of claims, answers as one map from (caller, key) to its first fingerprint', async () => {
    const claim = fc.record({
      subject: fc.constantFrom(undefined, 'u1', 'u2', 'u1 k'),
      key: fc.constantFrom('k', 'k2', 'u1 k'),
      fingerprint: fc.constantFrom('f1', 'f2'),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(claim, { maxLength: 20 }), async (claims) => {
        const store = createKeyClaims({ redis, keyPrefix: `claims-${randomBytes(6).toString('hex')}:`, logger });
        const model = new Map<string, string>();
        for (const { subject, key, fingerprint } of claims) {
          const id = JSON.stringify([subject ?? null, key]);
          const bound = model.get(id);
          if (bound === undefined) model.set(id, fingerprint);
          const expected: ClaimOutcome = bound === undefined ? 'new' : bound === fingerprint ? 'same' : 'other';
          expect(await store.claim(subject, key, fingerprint)).toBe(expected);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('in memory without Redis; unknown (the subgraphs decide) when Redis does not answer', async () => {
    const memory = createKeyClaims({ keyPrefix: 'x:', logger });
    expect([await memory.claim('u1', 'k', 'f1'), await memory.claim('u1', 'k', 'f1'), await memory.claim('u1', 'k', 'f2')]).toEqual([
      'new',
      'same',
      'other',
    ]);
    const down = new Redis('redis://127.0.0.1:9', { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true });
    down.on('error', () => {});
    expect(await createKeyClaims({ redis: down, keyPrefix: 'x:', logger }).claim('u1', 'k', 'f1')).toBe('unknown');
    down.disconnect();
  });
});
