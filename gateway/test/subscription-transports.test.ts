import { testToken } from '@tessera/test-helpers';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { startTestGateway, untilOwnPartsReady, type TestGateway } from './support/gateway.js';
import { openAcknowledged, openSocket, type ProtocolMessage } from './support/ws-client.js';

/**
 * The client side of subscriptions, against a whole gateway whose subgraphs are down: what the
 * transports accept and refuse, before any event flows. (Events through the federation, with the
 * real subgraphs, are proven in test/subscriptions.test.ts.)
 */
const ALLOWED_ORIGIN = 'https://app.example';
const SUBSCRIPTION = 'subscription Live($id: ID!) { reviewAdded(productId: $id) { id body } }';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway({
    CORS_ORIGINS: ALLOWED_ORIGIN,
    MAX_DEPTH: '4',
    SUBSCRIPTIONS_MAX_PER_CONNECTION: '2',
    SUBSCRIPTIONS_MAX_PER_CALLER: '3',
    JWT_CLOCK_SKEW_SECONDS: '0',
  });
  await untilOwnPartsReady(gateway);
});
afterAll(() => gateway.close());

/** Events of a GraphQL-over-SSE response, read to its end. */
async function streamEvents(body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify(body),
  });
  const events = response.ok ? parseEvents(await response.text()) : [];
  return { status: response.status, type: response.headers.get('content-type'), events };
}

/** The server-sent events of a whole response body. */
function parseEvents(text: string): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  createParser({ onEvent: (event) => events.push(event) }).feed(text);
  return events;
}

function codesOf(message: ProtocolMessage): unknown[] {
  const payload = message.payload as { errors?: Array<{ extensions?: { code?: unknown } }> } | Array<{ extensions?: { code?: unknown } }>;
  const errors = Array.isArray(payload) ? payload : (payload.errors ?? []);
  return errors.map((error) => error.extensions?.code);
}

describe('graphql-transport-ws', () => {
  it('answers a query sent over the socket with next, then complete', async () => {
    const client = await openAcknowledged(gateway.url);
    client.send({ id: 'q', type: 'subscribe', payload: { query: '{ __typename }' } });
    expect(await client.receive()).toEqual({ id: 'q', type: 'next', payload: { data: { __typename: 'Query' } } });
    expect(await client.receive()).toEqual({ id: 'q', type: 'complete' });
    client.socket.close();
  });

  it('refuses an invalid or too deep subscription with an error message carrying its code, and keeps the connection', async () => {
    const client = await openAcknowledged(gateway.url);
    client.send({ id: '1', type: 'subscribe', payload: { query: 'subscription { reviewAdded(productId: "p1") { nope } }' } });
    const invalid = await client.receive();
    expect(invalid).toMatchObject({ id: '1', type: 'error' });
    expect(codesOf(invalid)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const deep = 'subscription { reviewAdded(productId: "p1") { product { reviews { edges { node { product { id } } } } } } }';
    client.send({ id: '2', type: 'subscribe', payload: { query: deep } });
    const tooDeep = await client.receive();
    expect(tooDeep).toMatchObject({ id: '2', type: 'error' });
    expect(codesOf(tooDeep)[0]).toMatch(/DEPTH/);
    client.send({ id: '3', type: 'subscribe', payload: { query: '{ __typename }' } });
    expect(await client.receive()).toMatchObject({ id: '3', type: 'next' });
    client.socket.close();
  });

  it('holds a connection to SUBSCRIPTIONS_MAX_PER_CONNECTION and a caller to SUBSCRIPTIONS_MAX_PER_CALLER, across connections', async () => {
    const token = await testToken({ sub: 'limit-tester' });
    const first = await openAcknowledged(gateway.url, token);
    const subscribe = (client: typeof first, id: string) =>
      client.send({ id, type: 'subscribe', payload: { query: SUBSCRIPTION, variables: { id: `p-${id}` } } });
    subscribe(first, 'a');
    subscribe(first, 'b');
    subscribe(first, 'c');
    const perConnection = await first.receive();
    expect(perConnection).toMatchObject({ id: 'c', type: 'error' });
    expect(codesOf(perConnection)).toEqual(['SUBSCRIPTION_LIMIT']);
    const second = await openAcknowledged(gateway.url, token);
    subscribe(second, 'd');
    subscribe(second, 'e');
    const perCaller = await second.receive();
    expect(perCaller).toMatchObject({ id: 'e', type: 'error' });
    expect(codesOf(perCaller)).toEqual(['SUBSCRIPTION_LIMIT']);
    // Leaving frees the place: the caller may subscribe again (no answer within a moment: subscribed, waiting for events).
    first.send({ id: 'a', type: 'complete' });
    let attempt = 0;
    await vi.waitFor(async () => {
      subscribe(second, `f${++attempt}`);
      const answer = await second.receive(300).catch(() => undefined);
      if (answer) throw new Error(`still refused: ${JSON.stringify(answer)}`);
    });
    first.socket.close();
    second.socket.close();
  });

  it.each([
    ['a subprotocol other than graphql-transport-ws', { protocol: 'graphql-ws' }, 4406],
    ['an upgrade from an origin not allowed (cross-site WebSocket hijacking)', { headers: { origin: 'https://evil.example' } }, 4403],
  ])('closes %s', async (_name, options, code) => {
    const client = await openSocket(gateway.url, options);
    expect((await client.closed).code).toBe(code);
  });

  it('lets in an allowed origin', async () => {
    const client = await openAcknowledged(gateway.url, undefined, { origin: ALLOWED_ORIGIN });
    client.socket.close();
  });

  it('closes with 4403 a connection_init whose token does not verify, 4401 a subscribe before it, 4429 a second one, 4409 a reused id', async () => {
    const badToken = await openSocket(gateway.url);
    badToken.send({ type: 'connection_init', payload: { authorization: 'Bearer not.a.token' } });
    expect((await badToken.closed).code).toBe(4403);

    const early = await openSocket(gateway.url);
    early.send({ id: '1', type: 'subscribe', payload: { query: '{ __typename }' } });
    expect((await early.closed).code).toBe(4401);

    const twice = await openAcknowledged(gateway.url);
    twice.send({ type: 'connection_init' });
    expect((await twice.closed).code).toBe(4429);

    const reused = await openAcknowledged(gateway.url);
    reused.send({ id: 'x', type: 'subscribe', payload: { query: SUBSCRIPTION, variables: { id: 'p1' } } });
    reused.send({ id: 'x', type: 'subscribe', payload: { query: SUBSCRIPTION, variables: { id: 'p1' } } });
    expect((await reused.closed).code).toBe(4409);
  });

  it('closes with 4408 a connection that never sends connection_init', async () => {
    const client = await openSocket(gateway.url);
    expect((await client.closed).code).toBe(4408);
  });

  it("ends a caller's subscriptions with UNAUTHENTICATED and closes the socket with 4401 when the token expires", async () => {
    const token = await testToken({ sub: 'short-lived', expires: '2s' });
    const client = await openAcknowledged(gateway.url, token);
    client.send({ id: 's', type: 'subscribe', payload: { query: SUBSCRIPTION, variables: { id: 'p-expiry' } } });
    const ended = await client.receive(10_000);
    expect(ended).toMatchObject({ id: 's', type: 'next' });
    expect(codesOf(ended)).toEqual(['UNAUTHENTICATED']);
    expect(await client.receive()).toEqual({ id: 's', type: 'complete' });
    expect((await client.closed).code).toBe(4401);
  });

  it(
    'for any message a client can send, answers by the protocol or closes with 4400 — and keeps serving',
    { timeout: 60_000 },
    async () => {
      const message = fc.oneof(
        fc.jsonValue(),
        fc.record({
          type: fc.constantFrom('subscribe', 'complete', 'ping', 'pong', 'next', 'error'),
          id: fc.jsonValue(),
          payload: fc.jsonValue(),
        }),
        fc.record({
          type: fc.constant('subscribe'),
          id: fc.string(),
          payload: fc.record({ query: fc.oneof(fc.string(), fc.jsonValue()), variables: fc.jsonValue() }),
        }),
        fc.string(),
      );
      await fc.assert(
        fc.asyncProperty(message, async (sent) => {
          const client = await openAcknowledged(gateway.url);
          client.send(typeof sent === 'string' ? sent : JSON.stringify(sent));
          // A ping after it: everything the server says up to its pong is its answer to the message.
          client.send({ type: 'ping' });
          const closed = client.closed.then(({ code }) => ({ type: 'closed', code }));
          for (;;) {
            const reply = await Promise.race([closed, client.receive(5_000)]);
            if ('code' in reply) {
              expect([4400, 4409]).toContain(reply.code);
              break;
            }
            if (reply.type === 'pong') break;
            expect(['next', 'error', 'complete']).toContain(reply.type);
          }
          client.socket.terminate();
        }),
        { numRuns: 100 },
      );
      const { status, body } = await gateway.post({ query: '{ __typename }' });
      expect(status).toBe(200);
      expect(body.data).toEqual({ __typename: 'Query' });
    },
  );
});

describe('GraphQL over server-sent events', () => {
  it('answers a query asked for as a stream with one next event, then complete', async () => {
    const { status, type, events } = await streamEvents({ query: '{ __typename }' });
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/event-stream/);
    expect(events.map((event) => event.event)).toEqual(['next', 'complete']);
    expect(JSON.parse(events[0]!.data)).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses an invalid subscription in the stream, as graphql-sse does: one next with the coded error, then complete', async () => {
    const { status, events } = await streamEvents({ query: 'subscription { reviewAdded(productId: "p1") { nope } }' });
    expect(status).toBe(200);
    expect(events.map((event) => event.event)).toEqual(['next', 'complete']);
    const result = JSON.parse(events[0]!.data) as { errors: Array<{ extensions: { code: string } }> };
    expect(result.errors[0]!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('refuses a token that does not verify with 401 before any stream, as every request is', async () => {
    const { status } = await streamEvents({ query: SUBSCRIPTION, variables: { id: 'p1' } }, { authorization: 'Bearer not.a.token' });
    expect(status).toBe(401);
  });

  it('runs no mutation for a GET stream', async () => {
    const query = encodeURIComponent('mutation { __typename }');
    const response = await fetch(`${gateway.url}/graphql?query=${query}`, {
      headers: { accept: 'text/event-stream', 'apollo-require-preflight': '1' },
    });
    const events = parseEvents(await response.text());
    const result = JSON.parse(events[0]!.data) as { errors?: Array<{ message: string }> };
    expect(result.errors?.[0]?.message).toMatch(/GET/);
  });
});
