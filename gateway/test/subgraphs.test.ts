/** The subgraph side of the gateway: the pooled fetcher, named failures, routing, readiness. */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLSchema } from 'graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Registry } from 'prom-client';
import {
  createSubgraphClients,
  createSubgraphMetrics,
  createSubgraphPolicy,
  createUndiciFetcher,
  probeSubgraphs,
  SubgraphDataSource,
  RESILIENCE_DEFAULTS,
  type ResilienceSettings,
} from '../src/upstream/index.js';
import type { GatewayContext } from '../src/pipeline/index.js';
import { CLOSED_URL } from './support/gateway.js';

/** What a fetch is told of its request (Apollo Gateway's health checks tell it nothing). */
type CallContext = Partial<GatewayContext>;

const silent = pino({ level: 'silent' });
let server: Server;
let base: string;
const seen: Array<{ method?: string; url?: string; headers: Record<string, unknown>; body: string }> = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      seen.push({ method: request.method, url: request.url, headers: request.headers, body });
      if (request.url === '/ready') return response.writeHead(200).end('{}');
      if (request.url === '/down/graphql') return response.writeHead(503).end('busy');
      if (request.url === '/slow/graphql') return setTimeout(() => response.writeHead(200).end('{}'), 1_000);
      response.writeHead(200, { 'content-type': 'application/json', 'x-answer': '42' });
      response.end(JSON.stringify({ data: { echo: body } }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

describe('createUndiciFetcher', () => {
  it('sends method, headers and body, and answers like fetch', async () => {
    const pool = createUndiciFetcher();
    try {
      const response = await pool.fetcher(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-trace': 't1' },
        body: '{"q":1}',
      });
      expect(response.status).toBe(200);
      expect(response.ok).toBe(true);
      expect(response.headers.get('x-answer')).toBe('42');
      expect(await response.json()).toEqual({ data: { echo: '{"q":1}' } });
      expect(await response.clone().text()).toBe(JSON.stringify({ data: { echo: '{"q":1}' } }));
      expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/graphql', headers: { 'x-trace': 't1' } });
    } finally {
      await pool.close();
    }
  });

  it('gives up on a subgraph slower than timeoutMs', async () => {
    const pool = createUndiciFetcher({ timeoutMs: 100 });
    try {
      await expect(pool.fetcher(`${base}/slow/graphql`, { method: 'POST', body: '{}' })).rejects.toMatchObject({
        code: 'UND_ERR_HEADERS_TIMEOUT',
      });
    } finally {
      await pool.close();
    }
  });
});

describe('SubgraphDataSource', () => {
  const fetchThrough = async (url: string, settings: Partial<ResilienceSettings> = {}, context: CallContext = {}) => {
    const pool = createUndiciFetcher();
    const metrics = createSubgraphMetrics();
    const policy = createSubgraphPolicy('reviews', { ...RESILIENCE_DEFAULTS, ...settings }, metrics, silent);
    const source = new SubgraphDataSource({ service: 'reviews', url, fetcher: pool.fetcher, policy, metrics, logger: silent });
    try {
      return await source.process(processOptions('{ echo }', context)).catch((e: unknown) => e);
    } finally {
      await pool.close();
    }
  };

  it('names the subgraph and the reason of a network failure, never its URL', async () => {
    const error = (await fetchThrough(CLOSED_URL)) as { message: string; extensions: Record<string, unknown> };
    expect(error.extensions).toEqual({ code: 'SUBREQUEST_HTTP_ERROR', service: 'reviews', reason: 'connection refused' });
    expect(JSON.stringify(error)).not.toContain('127.0.0.1');
  });

  it('logs a refused call as one line with its reason, no stack: a subgraph that is down or booting is expected', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const pool = createUndiciFetcher();
    const metrics = createSubgraphMetrics();
    const policy = createSubgraphPolicy('reviews', { ...RESILIENCE_DEFAULTS, retries: 0 }, metrics, logger);
    const source = new SubgraphDataSource({ service: 'reviews', url: CLOSED_URL, fetcher: pool.fetcher, policy, metrics, logger });
    try {
      await source.process(processOptions('{ echo }', {})).catch(() => undefined);
    } finally {
      await pool.close();
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'subgraph request failed', subgraph: 'reviews', outcome: 'error', reason: 'connection refused' });
    expect(JSON.stringify(lines[0])).not.toMatch(/"stack"|"err"/);
  });

  it('carries the HTTP status of a failed response', async () => {
    const error = (await fetchThrough(`${base}/down/graphql`)) as { extensions: Record<string, unknown> };
    expect(error.extensions).toEqual({ code: 'SUBREQUEST_HTTP_ERROR', service: 'reviews', reason: 'HTTP 503', status: 503 });
  });

  it("gives SUBREQUEST_TIMEOUT for a subgraph slower than its timeout, or than the request's deadline", async () => {
    const started = Date.now();
    expect(await fetchThrough(`${base}/slow/graphql`, { timeoutMs: 100 })).toMatchObject({
      extensions: { code: 'SUBREQUEST_TIMEOUT', service: 'reviews' },
    });
    expect(await fetchThrough(`${base}/slow/graphql`, {}, { deadline: Date.now() + 100 })).toMatchObject({
      extensions: { code: 'SUBREQUEST_TIMEOUT' },
    });
    expect(Date.now() - started).toBeLessThan(900);
  });

  it("sends the identity, the request id, the budget left and a mutation's idempotency key", async () => {
    const pool = createUndiciFetcher();
    const metrics = createSubgraphMetrics();
    const source = new SubgraphDataSource({
      service: 'reviews',
      url: `${base}/graphql`,
      fetcher: pool.fetcher,
      policy: createSubgraphPolicy('reviews', RESILIENCE_DEFAULTS, metrics, silent),
      metrics,
      logger: silent,
      idempotencyOf: (context) => (context.requestId === 'req-1' ? { key: 'k1', fingerprint: 'f1' } : undefined),
    });
    try {
      const context = {
        requestId: 'req-1',
        deadline: Date.now() + 5_000,
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      };
      await source.process(processOptions('mutation { go }', context));
      const mutation = seen.at(-1)!;
      expect(mutation.headers).toMatchObject({
        'x-request-id': 'req-1',
        traceparent: context.traceparent,
        'x-tessera-identity': expect.any(String) as string,
      });
      expect(Number(mutation.headers['x-tessera-budget-ms'])).toBeGreaterThan(4_000);
      expect(bodyExtensions(mutation.body)).toEqual({ idempotency: { key: 'k1', fingerprint: 'f1' } });
      await source.process(processOptions('query { go }', context));
      expect(bodyExtensions(seen.at(-1)!.body)).toBeUndefined();
    } finally {
      await pool.close();
    }
  });
});

describe('createSubgraphClients', () => {
  it('routes to the override when there is one, else to the supergraph URL', async () => {
    const clients = createSubgraphClients({ urls: { users: 'http://users.internal/graphql' }, logger: silent });
    try {
      expect(clients.routingUrl('users', 'http://localhost:4001/graphql')).toBe('http://users.internal/graphql');
      expect(clients.routingUrl('products', 'http://localhost:4002/graphql')).toBe('http://localhost:4002/graphql');
      expect(() => clients.routingUrl('reviews', undefined)).toThrow('subgraph "reviews" has no routing URL');
    } finally {
      await clients.close();
    }
  });

  it('watches the /ready of each subgraph the supergraph routes to: its state in the details and in subgraph_up', async () => {
    const registry = new Registry();
    const clients = createSubgraphClients({ urls: { users: `${base}/graphql` }, registry, logger: silent });
    const details = clients.health.views!['/health/details']!;
    try {
      const subgraphs = new Map([
        ['users', 'http://ignored/graphql'],
        ['products', CLOSED_URL],
      ]);
      clients.health.onSupergraph!({ sdl: '', apiSchema: new GraphQLSchema({}), subgraphs });
      await vi.waitFor(() => expect(Object.keys((details() as { subgraphs: object }).subgraphs)).toHaveLength(2));
      expect(details()).toMatchObject({ subgraphs: { users: { up: true }, products: { up: false, reason: 'unreachable' } } });
      const text = await registry.metrics();
      expect(text).toContain('subgraph_up{subgraph="users"} 1');
      expect(text).toContain('subgraph_up{subgraph="products"} 0');
    } finally {
      await clients.health.close!();
      await clients.close();
    }
    // /ready is asked of the subgraph's origin, beside its GraphQL path.
    seen.length = 0;
    await probeSubgraphs(new Map([['a', `${base}/down/graphql`]]));
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /ready']);
  });
});

/** The `extensions` of a subgraph request's JSON body. */
function bodyExtensions(body: string): unknown {
  return (JSON.parse(body) as { extensions?: unknown }).extensions;
}

/** The options Apollo Gateway passes for one fetch of an incoming operation. */
function processOptions(query: string, context: CallContext): GraphQLDataSourceProcessOptions<GatewayContext> {
  return {
    kind: 'incoming operation',
    request: { query },
    context,
    incomingRequestContext: {},
  } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>;
}
