import { pino } from 'pino';
import { Counter } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { boundedLabel, createMetricsRegistry, startMetricsServer } from '../src/index.js';

describe('startMetricsServer', () => {
  it('serves Prometheus text at /metrics, the JSON views beside it, and nothing else', async () => {
    const registry = createMetricsRegistry('users');
    new Counter({ name: 'things_total', help: 'Things.', registers: [registry] }).inc(3);
    const server = await startMetricsServer({ registry, port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }), views: { '/health/details': () => ({ database: 'ok' }) } });
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

describe('boundedLabel', () => {
  it('keeps the first max distinct values, then says other; no value is anonymous', () => {
    const label = boundedLabel(2);
    expect(['a', 'b', 'a', 'c', 'b', null, undefined, ''].map(label)).toEqual(['a', 'b', 'a', 'other', 'b', 'anonymous', 'anonymous', 'anonymous']);
  });
});
