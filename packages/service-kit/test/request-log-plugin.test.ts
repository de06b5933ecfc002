import { Writable } from 'node:stream';
import { ApolloServer } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetricsRegistry, createRequestLogPlugin } from '../src/index.js';

const lines: Array<Record<string, unknown>> = [];
const registry = createMetricsRegistry('test');
const logger = pino(
  { level: 'info' },
  new Writable({ write: (chunk, _e, done) => (lines.push(JSON.parse(String(chunk)) as Record<string, unknown>), done()) }),
);
const apollo = new ApolloServer<{ tenant: string }>({
  typeDefs: 'type Query { ok: Int fails: Int }',
  resolvers: { Query: { ok: () => 1, fails: () => Promise.reject(new GraphQLError('no', { extensions: { code: 'NOT_FOUND' } })) } },
  plugins: [createRequestLogPlugin(logger, { fields: (context) => ({ tenant: context.tenant }), registry })],
});
beforeAll(() => apollo.start());
afterAll(() => apollo.stop());

describe('createRequestLogPlugin', () => {
  it('logs one line per request with the operation, its outcome and what the service adds', async () => {
    lines.length = 0;
    await apollo.executeOperation({ query: 'query Good { ok }' }, { contextValue: { tenant: 't1' } });
    await apollo.executeOperation({ query: 'query Bad { fails }' }, { contextValue: { tenant: 't2' } });
    await apollo.executeOperation({ query: '{ nope' }, { contextValue: { tenant: 't3' } });
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ msg: 'graphql request', operationName: 'Good', operationType: 'query', outcome: 'ok', tenant: 't1' });
    expect(lines[0]?.errorCodes).toBeUndefined();
    expect(lines[0]?.durationMs).toBeGreaterThanOrEqual(0);
    expect(lines[1]).toMatchObject({ operationName: 'Bad', outcome: 'error', errorCodes: ['NOT_FOUND'], tenant: 't2' });
    expect(lines[2]).toMatchObject({
      operationName: null,
      operationType: null,
      outcome: 'error',
      errorCodes: ['GRAPHQL_PARSE_FAILED'],
      status: 400,
    });
  });
});

/** The value of one series of `metric` (or of its `_count` / `_sum` sample) whose labels include `labels`. */
async function value(metric: string, labels: Record<string, string>, sample = metric): Promise<number | undefined> {
  const { values } = await registry.getSingleMetric(metric)!.get();
  return values.find(
    (v: { metricName?: string; labels: Partial<Record<string, string | number>> }) =>
      (v.metricName ?? metric) === sample && Object.entries(labels).every(([k, l]) => v.labels[k] === l),
  )?.value;
}

describe('RED metrics', () => {
  it('counts requests by operation and outcome, errors by code, and times them', async () => {
    const before = await registry.getSingleMetricAsString('graphql_requests_total');
    expect(before).not.toContain('operation_name="Counted"');
    await apollo.executeOperation({ query: 'query Counted { ok }' }, { contextValue: { tenant: 't' } });
    await apollo.executeOperation({ query: 'query Counted { ok }' }, { contextValue: { tenant: 't' } });
    await apollo.executeOperation({ query: 'query Bad { fails }' }, { contextValue: { tenant: 't' } });
    expect(await value('graphql_requests_total', { operation_name: 'Counted', operation_type: 'query', outcome: 'ok' })).toBe(2);
    expect(await value('graphql_errors_total', { code: 'NOT_FOUND' })).toBeGreaterThanOrEqual(1);
    expect(await value('graphql_request_duration_seconds', { operation_name: 'Counted' }, 'graphql_request_duration_seconds_count')).toBe(
      2,
    );
    expect(
      await value('graphql_requests_total', { operation_name: 'anonymous', operation_type: 'unknown', outcome: 'error' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('keeps at most 200 operation names as labels; a client sending more grows no series', async () => {
    for (let i = 0; i < 260; i++) await apollo.executeOperation({ query: `query Op${i} { ok }` }, { contextValue: { tenant: 't' } });
    const names = new Set(
      [...(await registry.metrics()).matchAll(/graphql_requests_total\{[^}]*operation_name="([^"]+)"/g)].map((m) => m[1]),
    );
    // 200 kept, plus `other` and `anonymous` (no name).
    expect(names.size).toBeLessThanOrEqual(202);
    expect(names.has('other')).toBe(true);
  });
});
