import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { ApolloServer } from '@apollo/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { allReady, createHttpServer, createLogger, createMetricsRegistry, type HttpServer } from '../src/index.js';

/** A line of the service's log, as these tests read it. */
interface LogLine {
  msg: string;
  reason?: string;
  requestId?: string;
}
/** A response body: GraphQL's shape, or a probe's. */
interface Body {
  data?: unknown;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}
const bodyOf = async (response: Response) => (await response.json()) as Body;

const lines: LogLine[] = [];
const logger = createLogger({
  service: 'test',
  destination: new Writable({ write: (chunk, _e, done) => (lines.push(JSON.parse(String(chunk)) as LogLine), done()) }),
});
let ready = true;
let server: HttpServer;
let url: string;

beforeAll(async () => {
  const hello = (_: unknown, { name }: { name?: string }) => {
    logger.info({ name }, 'saying hello');
    return `hi ${name ?? ''}`;
  };
  const apollo = new ApolloServer({
    typeDefs: 'type Query { hello(name: String): String }',
    resolvers: { Query: { hello } },
    allowBatchedHttpRequests: true,
  });
  server = createHttpServer({
    apollo,
    context: async () => ({}),
    logger,
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
    expect(await response.json()).toEqual({
      errors: [{ message: 'Request body is larger than 2048 bytes.', extensions: { code: 'REQUEST_TOO_LARGE', maxBytes: 2048 } }],
    });
  });

  it('reads the rest of a too-large body first, so a client still sending gets its 413, not a broken pipe', async () => {
    // A slow upload: the limit is crossed in the second chunk, and each chunk is sent only once
    // the server has read the one before, so the client keeps sending long after the refusal.
    const chunks = ['{"query":"{ hello }","padding":"', ...Array.from({ length: 20 }, () => 'x'.repeat(64 * 1024)), '"}'];
    let socket: Socket | undefined;
    const connected = new Promise<void>((resolve) =>
      server.fastify.server.once('request', (request: IncomingMessage) => {
        socket = request.socket;
        resolve();
      }),
    );
    const body = new ReadableStream({
      async pull(controller) {
        const chunk = chunks.shift();
        if (chunk === undefined) return controller.close();
        const bytes = new TextEncoder().encode(chunk);
        const before = socket?.bytesRead;
        controller.enqueue(bytes);
        // The first chunk goes with the request head: until the server has that, there is no connection to watch.
        if (before === undefined) return connected;
        await vi.waitFor(() => expect(socket?.bytesRead).toBeGreaterThanOrEqual(before + bytes.length), { timeout: 5_000, interval: 5 });
      },
    });
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect((await bodyOf(response)).errors?.[0]?.extensions?.code).toBe('REQUEST_TOO_LARGE');
  });

  it('answers malformed JSON with 400 BAD_REQUEST and no stack', async () => {
    const response = await post('{"query": ');
    expect(response.status).toBe(400);
    const body = await bodyOf(response);
    expect(body.errors?.[0]?.extensions).toEqual({ code: 'BAD_REQUEST' });
    expect(JSON.stringify(body)).not.toMatch(/\bat .*\.js:\d+/);
  });

  it('caps batches at maxBatchOperations', async () => {
    const op = { query: '{ hello }' };
    expect((await post(JSON.stringify([op, op]))).status).toBe(200);
    const flood = await post(JSON.stringify([op, op, op]));
    expect(flood.status).toBe(400);
    expect((await bodyOf(flood)).errors?.[0]?.extensions).toEqual({ code: 'BATCH_LIMIT_EXCEEDED', batch: { measured: 3, max: 2 } });
  });

  it('answers /health always and /ready with the failing parts named, no driver error, each change logged once', async () => {
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    ready = false;
    lines.length = 0;
    try {
      for (let i = 0; i < 3; i++) {
        const response = await fetch(`${url}/ready`);
        expect(response.status).toBe(503);
        expect(await response.json()).toEqual({ status: 'unavailable', parts: ['database'] });
      }
    } finally {
      ready = true;
    }
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    const changes = lines.filter((line) => /^(not )?ready/.test(line.msg));
    expect(changes.map((line) => [line.msg, line.reason])).toEqual([
      ['not ready', 'database: database is down'],
      ['ready', undefined],
    ]);
    expect(JSON.stringify(changes)).not.toContain('stack');
  });

  it("gives every request an id: the caller's if well formed, else a new one; returned, and on every log line of it", async () => {
    const send = (id?: string) =>
      fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(id !== undefined && { 'x-request-id': id }) },
        body: JSON.stringify({ query: '{ hello(name: "id") }' }),
      });
    lines.length = 0;
    expect((await send('client-42.a:b_c')).headers.get('x-request-id')).toBe('client-42.a:b_c');
    const generated = (await send()).headers.get('x-request-id');
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    for (const bad of ['has space', 'x'.repeat(129), 'a"b', '']) {
      const replaced = (await send(bad)).headers.get('x-request-id');
      expect(replaced, bad).toMatch(/^[0-9a-f-]{36}$/);
    }
    const hellos = lines.filter((line) => line.msg === 'saying hello').map((line) => line.requestId);
    expect(hellos.slice(0, 2)).toEqual(['client-42.a:b_c', generated]);
    expect(hellos).toHaveLength(6);
    expect(new Set(hellos).size).toBe(6);
  });

  it('allows the configured browser origins only', async () => {
    const preflight = (origin: string) =>
      fetch(`${url}/graphql`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    expect((await preflight('https://app.example.com')).headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect((await preflight('https://evil.example.com')).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('backpressure and draining', () => {
  it('serves maxInFlight at once, queues maxQueued, and answers any more 503 SERVICE_OVERLOADED with Retry-After', async () => {
    const registry = createMetricsRegistry('test');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const apollo = new ApolloServer({ typeDefs: 'type Query { slow: Int }', resolvers: { Query: { slow: async () => (await gate, 1) } } });
    const limited = createHttpServer({
      apollo,
      context: async () => ({}),
      logger,
      readiness: async () => {},
      concurrency: { maxInFlight: 1, maxQueued: 1 },
      registry,
    });
    const base = `http://127.0.0.1:${await limited.listen(0, '127.0.0.1')}`;
    try {
      const send = () =>
        fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ slow }"}' });
      const first = send();
      const second = send();
      await expect.poll(async () => (await registry.getSingleMetric('http_requests_queued')!.get()).values[0]?.value).toBe(1);
      const third = await send();
      expect(third.status).toBe(503);
      expect(third.headers.get('retry-after')).toBe('1');
      expect(await third.json()).toEqual({
        errors: [{ message: 'The service is at capacity; retry shortly.', extensions: { code: 'SERVICE_OVERLOADED' } }],
      });
      expect((await registry.getSingleMetric('http_requests_in_flight')!.get()).values[0]?.value).toBe(1);
      release();
      expect(await Promise.all([first, second].map(async (r) => (await r).status))).toEqual([200, 200]);
      expect((await registry.getSingleMetric('http_requests_rejected_total')!.get()).values).toMatchObject([
        { labels: { reason: 'overloaded' }, value: 1 },
      ]);
    } finally {
      release();
      await limited.close();
    }
  });

  it('on close, says "draining" on /ready for shutdownDelayMs while still serving (closing each connection), then closes', async () => {
    const apollo = new ApolloServer({ typeDefs: 'type Query { ok: Int }', resolvers: { Query: { ok: () => 1 } } });
    const closing = createHttpServer({ apollo, context: async () => ({}), logger, readiness: async () => {}, shutdownDelayMs: 400 });
    const base = `http://127.0.0.1:${await closing.listen(0, '127.0.0.1')}`;
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    const closed = closing.close();
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'draining' });
    const served = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ ok }"}',
    });
    expect(await served.json()).toEqual({ data: { ok: 1 } });
    // Each answer while draining ends its connection: no keep-alive connection is left to hold up the close.
    expect(served.headers.get('connection')).toBe('close');
    await closed;
    await expect(fetch(`${base}/health`)).rejects.toThrow();
  });
});

describe('allReady', () => {
  it('is ready when every part is, and names every part that is not', async () => {
    await expect(allReady({ a: async () => {}, b: async () => {} })()).resolves.toBeUndefined();
    await expect(
      allReady({ a: async () => Promise.reject(new Error('down')), b: async () => {}, c: async () => Promise.reject(new Error('slow')) })(),
    ).rejects.toMatchObject({ message: 'a: down; c: slow', parts: ['a', 'c'] });
  });
});
