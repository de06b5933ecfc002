/** The small helpers of the test harness. */
import { createServer } from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { getFreePort, requireEnv, waitUntil } from '../src/index.js';

describe('waitUntil', () => {
  it('resolves as soon as the condition holds', async () => {
    let looks = 0;
    await waitUntil(() => ++looks === 3, { timeoutMs: 5_000, intervalMs: 1, what: 'the third look' });
    expect(looks).toBe(3);
  });

  it('rejects after the timeout, naming what it waited for', async () => {
    await expect(waitUntil(() => false, { timeoutMs: 30, intervalMs: 5, what: 'Redis to stop' })).rejects.toThrow(
      'timed out after 30 ms waiting for Redis to stop',
    );
  });

  it('rejects at once when the condition throws', async () => {
    await expect(waitUntil(() => Promise.reject(new Error('process exited')), { timeoutMs: 5_000, what: 'x' })).rejects.toThrow(
      'process exited',
    );
  });
});

describe('getFreePort', () => {
  it('gives a loopback port that can be bound', async () => {
    const port = await getFreePort();
    const server = createServer().listen(port, '127.0.0.1');
    await once(server, 'listening');
    server.close();
    expect(port).toBeGreaterThan(0);
  });

  it("picks below the ephemeral range (where outgoing connections take theirs), never the same port twice, never a test server's", async () => {
    const ports = await Promise.all(Array.from({ length: 200 }, () => getFreePort()));
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) expect(port >= 20_000 && port < 32_000, String(port)).toBe(true);
    const servers = [process.env.TEST_POSTGRES_URL, process.env.TEST_REDIS_URL].filter(Boolean).map((url) => Number(new URL(url!).port));
    expect(ports.filter((port) => servers.includes(port))).toEqual([]);
  });
});

describe('requireEnv', () => {
  it('returns a set variable, and fails with a hint for a missing one', () => {
    process.env.TESSERA_HELPER_TEST = 'x';
    expect(requireEnv('TESSERA_HELPER_TEST')).toBe('x');
    expect(() => requireEnv('TESSERA_HELPER_MISSING', 'start it first')).toThrow('TESSERA_HELPER_MISSING is not set. start it first');
  });
});
