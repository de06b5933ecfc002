/** The subgraph side of the gateway: the pooled fetcher, named failures, routing, readiness. */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSubgraphsReady, createSubgraphClients, createUndiciFetcher, SubgraphDataSource } from '../src/subgraphs/index.js';
import { CLOSED_URL } from './support/gateway.js';

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
      const response = await pool.fetcher(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-trace': 't1' }, body: '{"q":1}' });
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
      await expect(pool.fetcher(`${base}/slow/graphql`, { method: 'POST', body: '{}' })).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
    } finally {
      await pool.close();
    }
  });
});

describe('SubgraphDataSource', () => {
  const fetchThrough = async (url: string) => {
    const pool = createUndiciFetcher({ timeoutMs: 100 });
    const source = new SubgraphDataSource('reviews', url, pool.fetcher, silent);
    try {
      // A health-check request needs no incoming request context (the enum is not exported at runtime).
      const options = { kind: 'health check', request: { query: '{ echo }' }, context: {} } as unknown as GraphQLDataSourceProcessOptions;
      return await source.process(options).catch((e: unknown) => e);
    } finally {
      await pool.close();
    }
  };

  it('names the subgraph and the reason of a network failure, never its URL', async () => {
    const error = (await fetchThrough(CLOSED_URL)) as { message: string; extensions: Record<string, unknown> };
    expect(error.extensions).toEqual({ code: 'SUBREQUEST_HTTP_ERROR', service: 'reviews', reason: 'connection refused' });
    expect(JSON.stringify(error)).not.toContain('127.0.0.1');
  });

  it('carries the HTTP status of a failed response', async () => {
    const error = (await fetchThrough(`${base}/down/graphql`)) as { extensions: Record<string, unknown> };
    expect(error.extensions).toEqual({ code: 'SUBREQUEST_HTTP_ERROR', service: 'reviews', reason: 'HTTP 503', status: 503 });
  });

  it('says "timed out" for a subgraph slower than the timeout', async () => {
    const error = (await fetchThrough(`${base}/slow/graphql`)) as { extensions: Record<string, unknown> };
    expect(error.extensions).toMatchObject({ service: 'reviews', reason: 'timed out' });
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

  it('is ready when every routed subgraph answers /ready, and names those that do not', async () => {
    const clients = createSubgraphClients({ urls: { users: `${base}/graphql` }, logger: silent });
    try {
      await expect(clients.ready(new Map([['users', 'http://ignored/graphql']]))).resolves.toBeUndefined();
      await expect(clients.ready(new Map([['users', ''], ['products', CLOSED_URL]]))).rejects.toThrow('subgraphs not ready: products (unreachable)');
      await expect(clients.ready(undefined)).resolves.toBeUndefined();
    } finally {
      await clients.close();
    }
    // /ready is asked of the subgraph's origin, beside its GraphQL path.
    seen.length = 0;
    await checkSubgraphsReady(new Map([['a', `${base}/down/graphql`]]));
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /ready']);
  });
});
