/**
 * What a hostile client sends below GraphQL — HTTP/1.0 without Host, smuggling-shaped framing,
 * bad chunk sizes, URLs that do not decode, request parameters of the wrong JSON type — is
 * answered in GraphQL's error shape with a code and a 4xx, never Fastify's `{"error": …}` or a
 * 500, and the server keeps serving. Requests are written byte for byte on a socket.
 */
import { connect } from 'node:net';
import { ApolloServer } from '@apollo/server';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer, createLogger, type HttpServer } from '../src/index.js';

let server: HttpServer;
let port: number;
beforeAll(async () => {
  const apollo = new ApolloServer({
    typeDefs: 'type Query { hello(name: String): String }',
    resolvers: { Query: { hello: (_: unknown, { name }: { name?: string }) => `hi ${name ?? ''}` } },
  });
  server = createHttpServer({
    apollo,
    context: async () => ({}),
    logger: createLogger({ service: 'test', level: 'silent' }),
    readiness: async () => {},
  });
  port = await server.listen(0, '127.0.0.1');
});
afterAll(() => server.close());

/** A response body as these tests read it: GraphQL's shape. */
interface Body {
  data?: unknown;
  errors?: Array<{ message?: string; extensions?: { code?: unknown } & Record<string, unknown> }>;
}
/** A response: its status, parsed body (undefined when not JSON) and, from {@link raw}, its text. */
interface Answer {
  status: number;
  body: Body | undefined;
  text: string;
}

/** Writes `text` on a new connection and reads the first response on it: status and parsed JSON body. */
function raw(text: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const done = () => {
      socket.destroy();
      const [head = '', ...rest] = received.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      const chunked = /transfer-encoding: chunked/i.test(head);
      const payload = chunked
        ? rest
            .join('\r\n\r\n')
            .split('\r\n')
            .filter((_, i) => i % 2 === 1)
            .join('')
        : rest.join('\r\n\r\n');
      let body: Body | undefined;
      try {
        body = JSON.parse(payload) as Body;
      } catch {
        body = undefined;
      }
      resolve({ status, body, text: received });
    };
    socket.on('data', (chunk) => {
      received += chunk.toString();
      const length = /content-length: (\d+)/i.exec(received)?.[1];
      const bodyStart = received.indexOf('\r\n\r\n');
      if (bodyStart >= 0 && length !== undefined && Buffer.byteLength(received.slice(bodyStart + 4)) >= Number(length)) done();
      if (bodyStart >= 0 && /\r\n0\r\n\r\n$/.test(received)) done();
    });
    socket.on('close', done);
    socket.on('error', reject);
    socket.write(text);
  });
}

const json = (body: string) => `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const QUERY = JSON.stringify({ query: '{ hello(name: "x") }' });

/** A refusal in GraphQL's shape: a 4xx status and errors that each carry a code. */
function expectCodedRefusal(answer: Answer, status: number, code = 'BAD_REQUEST') {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.body?.errors?.[0]?.extensions?.code, answer.text).toBe(code);
}

describe('requests Node and Fastify refuse before GraphQL', () => {
  it('serves HTTP/1.0 without Host (the integration answered it 500)', async () => {
    const answer = await raw(`POST /graphql HTTP/1.0\r\n${json(QUERY)}`);
    expect([answer.status, answer.body]).toEqual([200, { data: { hello: 'hi x' } }]);
    expect((await raw('GET /graphql?query=%7Bhello%7D HTTP/1.0\r\napollo-require-preflight: 1\r\n\r\n')).body).toEqual({
      data: { hello: 'hi ' },
    });
  });

  it.each([
    ['HTTP/1.1 without Host', `POST /graphql HTTP/1.1\r\n${json(QUERY)}`],
    ['two Host headers', `POST /graphql HTTP/1.1\r\nHost: a\r\nHost: b\r\n${json(QUERY)}`],
    ['a Host that is not a host', `POST /graphql HTTP/1.1\r\nHost: [::1\r\n${json(QUERY)}`],
    [
      'Transfer-Encoding with Content-Length',
      'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    [
      'a chunk size that is not hex',
      'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
    ],
    [
      'two Content-Lengths',
      `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 3\r\nContent-Length: ${QUERY.length}\r\n\r\n${QUERY}`,
    ],
    ['a header line without a colon', 'GET /graphql HTTP/1.1\r\nHost: x\r\nbroken\r\n\r\n'],
    ['an unknown HTTP version', 'GET /graphql HTTP/2.7\r\nHost: x\r\n\r\n'],
    ['a request target that is not a path', 'GET graphql HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a path that does not decode', 'GET /graphql%ff?query=%7Bhello%7D HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a truncated escape', 'GET /%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n'],
  ])('answers %s with 400 BAD_REQUEST in GraphQL shape', async (_name, request) => {
    expectCodedRefusal(await raw(request), 400);
  });

  it('answers a head larger than Node takes with 431, in GraphQL shape', async () => {
    expectCodedRefusal(await raw(`GET /graphql HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`), 431);
  });

  it('keeps serving afterwards', async () => {
    expect((await raw(`POST /graphql HTTP/1.1\r\nHost: x\r\n${json(QUERY)}`)).body).toEqual({ data: { hello: 'hi x' } });
  });
});

describe('GraphQL request parameters of the wrong type', () => {
  const ACCEPTS = [undefined, 'application/json', 'application/graphql-response+json', '*/*'];
  const post = async (body: unknown, accept?: string) => {
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(accept && { accept }) },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Body, text: '' };
  };

  it.each([
    ['query a number', { query: 0 }],
    ['query false', { query: false }],
    ['query an object', { query: { kind: 'Document' } }],
    ['no query at all (a typo)', { qeury: '{ hello }' }],
    ['an empty query', { query: '' }],
    ['operationName a number', { query: '{ hello }', operationName: 5 }],
    ['variables a string', { query: '{ hello }', variables: '{}' }],
    ['variables a list', { query: '{ hello }', variables: [] }],
    ['extensions a string', { query: '{ hello }', extensions: 'x' }],
    ['persistedQuery a string', { query: '{ hello }', extensions: { persistedQuery: 'x' } }],
    ['sha256Hash an object', { extensions: { persistedQuery: { version: 1, sha256Hash: { a: 1 } } } }],
    ['sha256Hash a number', { extensions: { persistedQuery: { version: 1, sha256Hash: 5 } } }],
    ['persistedQuery without a version', { extensions: { persistedQuery: { sha256Hash: 'a'.repeat(64) } } }],
    ['the body a list of strings', ['x']],
    ['the body a number', 7],
  ])('answers %s with 400 BAD_REQUEST whatever the client accepts', async (_name, body) => {
    for (const accept of ACCEPTS) expectCodedRefusal(await post(body, accept), 400);
  });

  it('answers a body of lists nested 100,000 deep with 400, not a stack overflow', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
    });
    expectCodedRefusal({ status: response.status, body: (await response.json()) as Body, text: '' }, 400);
  });

  /** Whether the parameters are well formed, as GraphQL over HTTP defines them. */
  const wellFormed = (body: Record<string, unknown>) => {
    const object = (v: unknown) => v === undefined || v === null || (typeof v === 'object' && !Array.isArray(v));
    const pq = (body.extensions as { persistedQuery?: unknown } | null | undefined)?.persistedQuery as
      { version?: unknown; sha256Hash?: unknown } | undefined;
    const hasQuery = typeof body.query === 'string' && body.query !== '';
    return (
      (body.query === undefined || body.query === null || typeof body.query === 'string') &&
      (body.operationName === undefined || body.operationName === null || typeof body.operationName === 'string') &&
      object(body.variables) &&
      object(body.extensions) &&
      (pq === undefined
        ? hasQuery
        : typeof pq === 'object' &&
          pq !== null &&
          !Array.isArray(pq) &&
          pq.version === 1 &&
          typeof pq.sha256Hash === 'string' &&
          pq.sha256Hash !== '' &&
          pq.sha256Hash.length <= 256)
    );
  };

  it('answers generated parameters of every JSON type: 400 BAD_REQUEST when malformed, never a 5xx', async () => {
    const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant('{ hello }'), fc.constant(undefined));
    const persistedQuery = fc.oneof(
      value,
      fc.record({ version: value, sha256Hash: fc.oneof(value, fc.constant('a'.repeat(64))) }, { requiredKeys: [] }),
    );
    const body = fc.record(
      {
        query: value,
        operationName: value,
        variables: value,
        extensions: fc.oneof(value, fc.record({ persistedQuery }, { requiredKeys: [] })),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom(...ACCEPTS), async (params, accept) => {
        const answer = await post(params, accept);
        expect(answer.status).toBeLessThan(500);
        for (const error of answer.body?.errors ?? []) expect(error.extensions?.code).toEqual(expect.any(String));
        if (!wellFormed(JSON.parse(JSON.stringify(params)) as Record<string, unknown>)) expectCodedRefusal(answer, 400);
      }),
      { numRuns: 300 },
    );
  });
});
