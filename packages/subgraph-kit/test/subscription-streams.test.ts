/**
 * Subscriptions as a subgraph serves them to the gateway: GraphQL over server-sent events, one
 * subscription per request. Each committed event is one `next` event whose id is its `seq`; a
 * client resumes after the last id it got; a request that cannot start gets one `next` with its
 * errors, then `complete`; a client that goes away ends its subscription. On an embedded database,
 * events in process (no Redis).
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { RunningSubgraph } from '../src/index.js';
import { openStream } from './fixtures/event-stream-client.js';
import { graphql, productId, startLiveProducts } from './fixtures/live-products.js';

const RENAMED = 'subscription ($id: ID!) { renamed(id: $id) { id name same { name } } }';
const RENAME = 'mutation ($id: ID!, $name: String!, $fail: Boolean) { rename(id: $id, name: $name, fail: $fail) { name } }';

let subgraph: RunningSubgraph & { url: string };
beforeAll(async () => {
  subgraph = await startLiveProducts();
}, 60_000);
afterAll(() => subgraph?.close());

const rename = async (id: string, name: string, fail = false) => graphql(subgraph.url, RENAME, { id, name, fail });

/** How many subscriptions the subgraph serves, from its metrics. */
async function activeSubscriptions(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${subgraph.metricsPort}/metrics`)).text();
  return Number(/^events_subscriptions_active\{[^}]*\} (\d+)$/m.exec(text)?.[1] ?? 'NaN');
}

describe('a subscription over server-sent events', () => {
  it('sends each committed event as `id: <seq>`, `event: next`, its result executed with a context of its own, and when it committed', async () => {
    const id = productId(0);
    const stream = await openStream(subgraph.url, { query: RENAMED, variables: { id }, extensions: { lastEventId: '0' } });
    onTestFinished(() => stream.close());
    expect(stream.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const before = Date.now();
    expect((await rename(id, 'one')).errors).toBeUndefined();
    await stream.waitForNexts(1);
    expect((await rename(id, 'two')).errors).toBeUndefined();
    await stream.waitForNexts(2);
    const [first, second] = stream.nexts();
    expect(first).toMatchObject({ id: '1', result: { data: { renamed: { id, name: 'one', same: { name: 'one' } } } } });
    // `same` reads the product again through a loader: one shared with the first event would still hold 'one'.
    expect(second).toMatchObject({ id: '2', result: { data: { renamed: { id, name: 'two', same: { name: 'two' } } } } });
    const committedAt = second!.result.extensions?.committedAt as number;
    expect(committedAt).toBeGreaterThanOrEqual(before - 1_000);
    expect(committedAt).toBeLessThanOrEqual(Date.now());
  });

  it("starts after the topic's current event when no resume point is given", async () => {
    const id = productId(1);
    await rename(id, 'before');
    const stream = await openStream(subgraph.url, { query: RENAMED, variables: { id } });
    onTestFinished(() => stream.close());
    await expect.poll(activeSubscriptions).toBe(1);
    await rename(id, 'after');
    await stream.waitForNexts(1);
    expect(stream.nexts()).toMatchObject([{ id: '2', result: { data: { renamed: { name: 'after' } } } }]);
    // The client going away ends its subscription: the hub forgets it.
    stream.close();
    await expect.poll(activeSubscriptions).toBe(0);
  });

  it('resumes after the last id received: the Last-Event-ID header, or extensions.lastEventId (which wins)', async () => {
    const id = productId(2);
    for (const name of ['a', 'b', 'c', 'd']) await rename(id, name);
    const byHeader = await openStream(subgraph.url, { query: RENAMED, variables: { id } }, { 'last-event-id': '1' });
    const byBody = await openStream(
      subgraph.url,
      { query: RENAMED, variables: { id }, extensions: { lastEventId: 3 } },
      { 'last-event-id': '1' },
    );
    onTestFinished(() => (byHeader.close(), byBody.close()));
    await byHeader.waitForNexts(3);
    await byBody.waitForNexts(1);
    expect(byHeader.nexts().map((next) => [next.id, (next.result.data?.renamed as { name: string }).name])).toEqual([
      ['2', 'b'],
      ['3', 'c'],
      ['4', 'd'],
    ]);
    expect(byBody.nexts().map((next) => next.id)).toEqual(['4']);
    // Then live, still in order, still once each.
    await rename(id, 'e');
    await byHeader.waitForNexts(4);
    await byBody.waitForNexts(2);
    expect(byHeader.nexts().map((next) => next.id)).toEqual(['2', '3', '4', '5']);
    expect(byBody.nexts().map((next) => next.id)).toEqual(['4', '5']);
  });

  it('a write that rolls back after recording its event publishes nothing, and takes no seq', async () => {
    const id = productId(0);
    const stream = await openStream(subgraph.url, { query: RENAMED, variables: { id }, extensions: { lastEventId: '2' } });
    onTestFinished(() => stream.close());
    expect((await rename(id, 'never', true)).errors?.[0]?.message).toBe('failed after recording');
    await rename(id, 'three');
    await stream.waitForNexts(1);
    expect(stream.nexts()).toMatchObject([{ id: '3', result: { data: { renamed: { name: 'three' } } } }]);
  });
});

describe('a subscription that cannot start: one `next` with its errors, then `complete`', () => {
  const refused = async (payload: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const stream = await openStream(subgraph.url, payload, headers);
    await stream.ended;
    expect(stream.events.map((event) => event.event)).toEqual(['next', 'complete']);
    expect(stream.events[0]!.id).toBeUndefined();
    const { errors } = stream.nexts()[0]!.result as { errors: Array<{ message: string; extensions: { code: string } }> };
    return errors.map((error) => error.extensions.code);
  };

  it.each([
    ['a document that does not parse', { query: 'subscription {' }, 'GRAPHQL_PARSE_FAILED'],
    ['an invalid one', { query: 'subscription { renamed(id: "x") { nope } }' }, 'GRAPHQL_VALIDATION_FAILED'],
    ['a query', { query: '{ product(id: "x") { id } }' }, 'BAD_REQUEST'],
    ['a variable of the wrong type', { query: RENAMED, variables: { id: 5.5 } }, 'BAD_USER_INPUT'],
    [
      'a resume point that is no event id',
      { query: RENAMED, variables: { id: productId(0) }, extensions: { lastEventId: 'x1' } },
      'BAD_USER_INPUT',
    ],
    [
      "a resume point after the topic's last event",
      { query: RENAMED, variables: { id: productId(0) }, extensions: { lastEventId: '99' } },
      'EVENTS_EXPIRED',
    ],
    ['a resolver that returns no event stream (masked)', { query: 'subscription { broken(id: "x") { id } }' }, 'INTERNAL_SERVER_ERROR'],
  ])('%s', async (_what, payload, code) => {
    expect(await refused(payload)).toEqual([code]);
  });

  it("applies the subgraph's own limits (SUBGRAPH_MAX_DEPTH)", async () => {
    const deep = `subscription { renamed(id: "${productId(0)}") { ${'same { '.repeat(25)}id${' }'.repeat(25)} } }`;
    expect(await refused({ query: deep })).toEqual(['MAX_DEPTH_LIMIT']);
  });

  it('refuses an unsigned request before any stream (401), as any call', async () => {
    const response = await fetch(subgraph.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: RENAMED, variables: { id: productId(0) } }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
  });
});
