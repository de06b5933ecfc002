import { pino } from 'pino';
import { Counter } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ActionUnavailableError, boundedLabel, createMetricsRegistry, startMetricsServer } from '../src/index.js';

describe('startMetricsServer', () => {
  it('serves Prometheus text at /metrics, the JSON views beside it, and nothing else', async () => {
    const registry = createMetricsRegistry('users');
    new Counter({ name: 'things_total', help: 'Things.', registers: [registry] }).inc(3);
    const server = await startMetricsServer({
      registry,
      port: 0,
      host: '127.0.0.1',
      logger: pino({ level: 'silent' }),
      views: { '/health/details': () => ({ database: 'ok' }) },
    });
    const base = `http://127.0.0.1:${server.port}`;
    try {
      const metrics = await fetch(`${base}/metrics`);
      expect(metrics.headers.get('content-type')).toContain('text/plain');
      const text = await metrics.text();
      expect(text).toContain('things_total{service="users"} 3');
      // The Node.js defaults: event-loop lag and heap.
      expect(text).toMatch(/nodejs_eventloop_lag_seconds\{service="users"\}/);
      expect(text).toMatch(/nodejs_heap_size_used_bytes\{service="users"\}/);
      expect(await (await fetch(`${base}/health/details`)).json()).toEqual({ database: 'ok' });
      expect((await fetch(`${base}/graphql`)).status).toBe(404);
      expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });
});

describe('actions', () => {
  it('answer POSTs with what the action returns; a bad body is 400, a missing dependency 503, any other method 405 with Allow', async () => {
    let down = false;
    const actions = {
      '/things/reset': async (body: unknown) => {
        if (typeof (body as { what?: unknown }).what !== 'string') throw new RangeError('expected {"what": "…"}');
        if (down) throw new ActionUnavailableError('the store is down');
        return { reset: (body as { what: string }).what };
      },
    };
    const server = await startMetricsServer({
      registry: createMetricsRegistry('users'),
      port: 0,
      host: '127.0.0.1',
      logger: pino({ level: 'silent' }),
      actions,
    });
    const post = (body: string) => fetch(`http://127.0.0.1:${server.port}/things/reset`, { method: 'POST', body });
    try {
      const ok = await post('{"what":"x"}');
      expect([ok.status, await ok.json()]).toEqual([200, { reset: 'x' }]);
      for (const bad of ['{"what":1}', 'not json', '[]']) expect((await post(bad)).status, bad).toBe(400);
      down = true;
      const unavailable = await post('{"what":"x"}');
      expect([unavailable.status, await unavailable.json()]).toEqual([503, { error: 'the store is down' }]);
      const get = await fetch(`http://127.0.0.1:${server.port}/things/reset`);
      expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    } finally {
      await server.close();
    }
  });
});

describe('boundedLabel', () => {
  it('keeps the first max distinct values, then says other; no value is anonymous', () => {
    const label = boundedLabel(2);
    expect(['a', 'b', 'a', 'c', 'b', null, undefined, ''].map(label)).toEqual([
      'a',
      'b',
      'a',
      'other',
      'b',
      'anonymous',
      'anonymous',
      'anonymous',
    ]);
  });
});
