/**
 * Identical requests in flight answered with one response (the gateway's shared answers), and
 * what is never shared: other callers, other requests, mutations — and the rate limit, which each
 * request that takes a shared answer still pays.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { requestKey, type KeyedRequest } from '../src/features/shared-answers/index.js';
import { testToken } from '@tessera/test-helpers';
import { GRAPHQL_RESPONSE_ACCEPT, startTestGateway, type TestGateway } from './support/gateway.js';

/** A subgraph on loopback whose answers wait until `release()`; every operation body it got (the gateway's health checks aside). */
async function heldSubgraph() {
  const bodies: string[] = [];
  const waiting: Array<() => void> = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      if (!/topProducts|updateProduct/.test(body)) {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { __typename: 'Query' } }));
        return;
      }
      bodies.push(body);
      waiting.push(() => {
        const data = body.includes('updateProduct')
          ? { updateProduct: { id: 'p1', name: 'Renamed' } }
          : {
              topProducts: [
                { id: 'p1', name: 'Lamp' },
                { id: 'p2', name: 'Desk' },
              ],
            };
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data }));
      });
    });
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    bodies,
    release: () => waiting.splice(0).forEach((answer) => answer()),
    close: () => server.close(),
  };
}

type Held = Awaited<ReturnType<typeof heldSubgraph>>;

const TOP = { query: '{ topProducts(first: 2) { id name } }' };
const TOP_TEN = { query: '{ topProducts(first: 10) { id name } }' };
const RENAME = { query: 'mutation { updateProduct(id: "p1", input: { name: "Renamed" }) { id name } }' };

/** Sends `body` `count` times at once, as raw requests (each with its own response headers). */
function sendAll(gateway: TestGateway, count: number, body: unknown, headers: Record<string, string>) {
  return Array.from({ length: count }, () =>
    fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: GRAPHQL_RESPONSE_ACCEPT, ...headers },
      body: JSON.stringify(body),
    }).then(async (response) => ({
      status: response.status,
      requestId: response.headers.get('x-request-id'),
      text: await response.text(),
    })),
  );
}

/** A counter or gauge of the gateway's `/metrics`, summed over its labels. */
async function metric(gateway: TestGateway, name: string): Promise<number> {
  const text = await (await fetch(`${gateway.metricsUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** Waits until `count` GraphQL requests are being served at once (the leader at the subgraph, the rest waiting on it). */
async function untilInFlight(gateway: TestGateway, count: number): Promise<void> {
  await vi.waitFor(async () => expect(await metric(gateway, 'http_requests_in_flight')).toBeGreaterThanOrEqual(count), {
    timeout: 10_000,
    interval: 10,
  });
}

describe('shared answers', () => {
  let subgraph: Held;
  let gateway: TestGateway;
  let token: string;
  beforeAll(async () => {
    subgraph = await heldSubgraph();
    gateway = await startTestGateway({ CACHE_MODE: 'off', SUBGRAPH_DEDUPLICATION: 'false' }, { subgraphUrl: subgraph.url });
    token = await testToken({ sub: 'sharing-user', scopes: ['products:write'] });
  });
  afterEach(() => subgraph.release());
  afterAll(async () => {
    await gateway?.close();
    subgraph?.close();
  });

  it('answers identical queries in flight with one response, each request keeping its own id and log line', async () => {
    const before = await metric(gateway, 'graphql_answers_shared_total');
    const fetches = subgraph.bodies.length;
    const logged = gateway.logs().length;
    const pending = sendAll(gateway, 5, TOP, { authorization: `Bearer ${token}` });
    await untilInFlight(gateway, 5);
    subgraph.release();
    const answers = await Promise.all(pending);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(answers.map((a) => a.text.trim()))).toEqual(
      new Set([
        JSON.stringify({
          data: {
            topProducts: [
              { id: 'p1', name: 'Lamp' },
              { id: 'p2', name: 'Desk' },
            ],
          },
        }),
      ]),
    );
    expect(new Set(answers.map((a) => a.requestId)).size).toBe(5);
    expect(subgraph.bodies.length - fetches).toBe(1);
    expect((await metric(gateway, 'graphql_answers_shared_total')) - before).toBe(4);
    const lines = gateway
      .logs()
      .slice(logged)
      .filter((line) => line.msg === 'graphql request');
    expect(lines).toHaveLength(5);
    expect(lines.filter((line) => line.sharedWith !== undefined)).toHaveLength(4);
    for (const line of lines) expect(line).toMatchObject({ operationType: 'query', outcome: 'ok', status: 200 });
  });

  it('never shares between callers, nor a mutation', async () => {
    const before = await metric(gateway, 'graphql_answers_shared_total');
    const other = await testToken({ sub: 'another-user', scopes: ['products:write'] });
    const fetches = subgraph.bodies.length;
    const pending = [
      ...sendAll(gateway, 1, TOP, { authorization: `Bearer ${token}` }),
      ...sendAll(gateway, 1, TOP, { authorization: `Bearer ${other}` }),
      ...sendAll(gateway, 1, TOP, {}),
      ...sendAll(gateway, 2, RENAME, { authorization: `Bearer ${token}` }),
    ];
    // Each query is its own flight; the second mutation runs as soon as the first is known to be one.
    await vi.waitFor(() => expect(subgraph.bodies.length - fetches).toBeGreaterThanOrEqual(5), { timeout: 10_000, interval: 10 });
    subgraph.release();
    const answers = await Promise.all(pending);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(subgraph.bodies.length - fetches).toBe(5);
    expect(subgraph.bodies.slice(fetches).filter((body) => body.includes('updateProduct'))).toHaveLength(2);
    expect(await metric(gateway, 'graphql_answers_shared_total')).toBe(before);
  });
});

describe('shared answers and the rate limit', () => {
  let subgraph: Held;
  let gateway: TestGateway;
  afterAll(async () => {
    await gateway?.close();
    subgraph?.close();
  });

  it('charges every request that takes a shared answer the operation’s cost: sending the same query at once buys nothing', async () => {
    subgraph = await heldSubgraph();
    // Per request: 1 point before parsing, then the rest of its cost.
    const probe = await startTestGateway({ CACHE_MODE: 'off' }, { subgraphUrl: subgraph.url });
    const single = probe.post(TOP_TEN);
    await untilInFlight(probe, 1);
    subgraph.release();
    expect((await single).status).toBe(200);
    const cost = probe.logs().find((line) => line.msg === 'graphql request')!.cost as number;
    await probe.close();
    expect(cost).toBeGreaterThanOrEqual(3);

    gateway = await startTestGateway(
      { CACHE_MODE: 'off', RATE_LIMIT_POINTS: String(2 * cost + 3), RATE_LIMIT_BYTES_PER_POINT: '0' },
      { subgraphUrl: subgraph.url },
    );
    const before = await metric(gateway, 'graphql_answers_shared_total');
    const pending = sendAll(gateway, 5, TOP_TEN, {});
    await untilInFlight(gateway, 5);
    subgraph.release();
    const statuses = (await Promise.all(pending)).map((a) => a.status).sort();
    // Five points before parsing, then cost − 1 for each query: two fit (5 + 2 (cost − 1) = 2 cost + 3). Charged only the leader's, all five would.
    expect(statuses).toEqual([200, 200, 429, 429, 429]);
    expect((await metric(gateway, 'graphql_answers_shared_total')) - before).toBe(1);
  });
});

describe('requestKey', () => {
  const header = fc.constantFrom(
    'authorization',
    'accept',
    'content-type',
    'x-tessera-developer-key',
    'origin',
    'cookie',
    'apollo-require-preflight',
    'x-anything',
  );
  const ignored = fc.constantFrom('user-agent', 'x-request-id', 'traceparent', 'connection', 'content-length', 'x-forwarded-for', 'host');
  const request = fc.record({
    method: fc.constantFrom('GET', 'POST'),
    url: fc.constantFrom('/graphql', '/graphql?query=%7Ba%7D', '/graphql?query=%7Bb%7D'),
    rawBody: fc.constantFrom('{"query":"{a}"}', '{"query":"{b}"}', '{"query":"{a}","variables":{"x":1}}'),
    headers: fc.dictionary(header, fc.constantFrom('1', '2', 'Bearer a', 'Bearer b')),
    noise: fc.dictionary(ignored, fc.string({ maxLength: 8 })),
  });
  type Generated = typeof request extends fc.Arbitrary<infer T> ? T : never;
  const keyed = (r: Generated, noise = r.noise): KeyedRequest => ({
    method: r.method,
    url: r.url,
    rawBody: r.method === 'POST' ? r.rawBody : undefined,
    headers: { ...noise, ...r.headers },
  });
  const meaning = (r: Generated) =>
    JSON.stringify([r.method, r.url, r.method === 'POST' ? r.rawBody : null, Object.entries(r.headers).sort()]);

  it('gives two requests one key exactly when method, target, body and every header that may change the answer agree', () => {
    fc.assert(
      fc.property(request, request, (a, b) => {
        expect(requestKey(keyed(a)) === requestKey(keyed(b))).toBe(meaning(a) === meaning(b));
        expect(requestKey(keyed(a, {}))).toBe(requestKey(keyed(a)));
      }),
      { numRuns: 2_000 },
    );
  });

  it('shares no batch, no POST without a JSON body, no other method', () => {
    expect(
      requestKey({ method: 'POST', url: '/graphql', headers: {}, rawBody: '[{"query":"{a}"}]', body: [{ query: '{a}' }] }),
    ).toBeUndefined();
    expect(requestKey({ method: 'POST', url: '/graphql', headers: {} })).toBeUndefined();
    expect(requestKey({ method: 'OPTIONS', url: '/graphql', headers: {} })).toBeUndefined();
  });
});
