import { ApolloServer } from '@apollo/server';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allReady, createHttpServer, type HttpServer } from '../src/index.js';

const silent = pino({ level: 'silent' });
let ready = true;
let server: HttpServer;
let url: string;

beforeAll(async () => {
  const apollo = new ApolloServer({ typeDefs: 'type Query { hello(name: String): String }', resolvers: { Query: { hello: (_: unknown, { name }: { name?: string }) => `hi ${name ?? ''}` } }, allowBatchedHttpRequests: true });
  server = createHttpServer({
    apollo,
    context: async () => ({}),
    logger: silent,
    readiness: allReady({ database: async () => (ready ? undefined : Promise.reject(new Error('database is down'))), cache: undefined }),
    bodyLimit: 2_048,
    maxBatchOperations: 2,
    corsOrigins: ['https://app.example.com'],
  });
  url = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;
});
afterAll(() => server.close());

const post = (body: string) => fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('createHttpServer', () => {
  it('serves GraphQL', async () => {
    const response = await post(JSON.stringify({ query: '{ hello(name: "x") }' }));
    expect(await response.json()).toEqual({ data: { hello: 'hi x' } });
  });

  it('answers a body over the limit with 413 REQUEST_TOO_LARGE, in GraphQL shape', async () => {
    const response = await post(JSON.stringify({ query: `{ hello(name: "${'x'.repeat(3_000)}") }` }));
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ errors: [{ message: 'Request body is larger than 2048 bytes.', extensions: { code: 'REQUEST_TOO_LARGE', maxBytes: 2048 } }] });
  });

  it('reads the rest of a too-large body first, so a client still sending gets its 413, not a broken pipe', async () => {
    // A slow upload: the limit is crossed in the first chunk, the client keeps sending after it.
    const chunks = ['{"query":"{ hello }","padding":"', ...Array.from({ length: 20 }, () => 'x'.repeat(64 * 1024)), '"}'];
    const body = new ReadableStream({
      async pull(controller) {
        const chunk = chunks.shift();
        if (chunk === undefined) return controller.close();
        controller.enqueue(new TextEncoder().encode(chunk));
        await new Promise((resolve) => setTimeout(resolve, 10));
      },
    });
    const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit);
    expect(response.status).toBe(413);
    expect((await response.json()).errors[0].extensions.code).toBe('REQUEST_TOO_LARGE');
  });

  it('answers malformed JSON with 400 BAD_REQUEST and no stack', async () => {
    const response = await post('{"query": ');
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.errors[0].extensions).toEqual({ code: 'BAD_REQUEST' });
    expect(JSON.stringify(body)).not.toMatch(/\bat .*\.js:\d+/);
  });

  it('caps batches at maxBatchOperations', async () => {
    const op = { query: '{ hello }' };
    expect((await post(JSON.stringify([op, op]))).status).toBe(200);
    const flood = await post(JSON.stringify([op, op, op]));
    expect(flood.status).toBe(400);
    expect((await flood.json()).errors[0].extensions).toEqual({ code: 'BATCH_LIMIT_EXCEEDED', batch: { measured: 3, max: 2 } });
  });

  it('answers /health always and /ready with the failing parts named', async () => {
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    ready = false;
    try {
      const response = await fetch(`${url}/ready`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: 'unavailable', reason: 'database: database is down' });
    } finally {
      ready = true;
    }
  });

  it('allows the configured browser origins only', async () => {
    const preflight = (origin: string) =>
      fetch(`${url}/graphql`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect((await preflight('https://app.example.com')).headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect((await preflight('https://evil.example.com')).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('allReady', () => {
  it('is ready when every part is, and names every part that is not', async () => {
    await expect(allReady({ a: async () => {}, b: async () => {} })()).resolves.toBeUndefined();
    await expect(
      allReady({ a: async () => Promise.reject(new Error('down')), b: async () => {}, c: async () => Promise.reject(new Error('slow')) })(),
    ).rejects.toThrow('a: down; c: slow');
  });
});
