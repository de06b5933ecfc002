/**
 * The subgraph runtime end to end, on a tiny subgraph of the users database (embedded, in
 * memory): migrations, seeding an empty database, serving over HTTP, entity references
 * through a batch loader, error masking, readiness and closing.
 */
import { ANONYMOUS, encodeIdentity, signRequest, type Identity, type SigningKey } from '@tessera/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSubgraph } from '../src/index.js';
import { captured, NEW_KEY, OLD_KEY, send, startReplica, startTinyUsers } from './fixtures/tiny-users.js';

/** A GraphQL response body, as far as these tests read it. */
interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; [key: string]: unknown } }[];
}

let running: RunningSubgraph;
let url: string;
beforeAll(async () => {
  running = await startTinyUsers({
    SEED_USERS: '3',
    SUBGRAPH_MAX_DEPTH: '3',
    SUBGRAPH_MAX_ENTITIES: '5',
    SUBGRAPH_SIGNING_KEYS: `new:${NEW_KEY.secret.toString()}, old:${OLD_KEY.secret.toString()}`,
  });
  url = `http://127.0.0.1:${running.port}`;
}, 60_000);
afterAll(() => running?.close());

const graphql = async (query: string, variables?: Record<string, unknown>) => (await post(query, variables)).body;
/** Sends a GraphQL request as the gateway does: signed with `key`, for `identity`. */
const post = async (
  query: string,
  variables?: Record<string, unknown>,
  {
    key = NEW_KEY,
    identity = ANONYMOUS,
    signature,
    budgetMs,
  }: { key?: SigningKey; identity?: Identity; signature?: string; budgetMs?: number } = {},
) => {
  const body = JSON.stringify({ query, variables });
  const forwarded = encodeIdentity(identity);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json',
    'x-tessera-identity': forwarded,
  };
  if (budgetMs !== undefined) headers['x-tessera-budget-ms'] = String(budgetMs);
  headers['x-tessera-signature'] =
    signature ??
    signRequest(
      {
        method: 'POST',
        path: '/graphql',
        body,
        headers: { 'x-tessera-identity': forwarded, ...(budgetMs !== undefined && { 'x-tessera-budget-ms': String(budgetMs) }) },
      },
      key,
    );
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers, body });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLBody };
};
const user = (id: unknown) => ({ __typename: 'User', id });
const ENTITIES = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }';

describe('startSubgraph', () => {
  it('migrates and seeds an empty database, then serves it', async () => {
    expect(await graphql('{ userCount }')).toEqual({ data: { userCount: 3 } });
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });

  it('resolves entity references through the loader, NOT_FOUND on the path of an unknown one', async () => {
    const body = await graphql('{ _entities(representations: [{ __typename: "User", id: "nope" }]) { ... on User { username } } }');
    expect(body.data).toEqual({ _entities: [null] });
    expect(body.errors).toMatchObject([
      { message: 'No User has id "nope".', path: ['_entities', 0], extensions: { code: 'NOT_FOUND', typename: 'User' } },
    ]);
  });

  it('masks an unexpected error: no message, no stack, a stable code', async () => {
    const body = await graphql('{ broken }');
    expect(body.errors).toEqual([
      {
        message: 'Internal server error',
        path: ['broken'],
        locations: [{ line: 1, column: 3 }],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ]);
    expect(JSON.stringify(body)).not.toContain('hunter2');
  });

  it('serves no landing page (subgraphs sit behind the gateway)', async () => {
    const page = await fetch(`${url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toMatch(/sandbox|<html/i);
  });
});

describe('the time budget the gateway sends (x-tessera-budget-ms)', () => {
  const LATE = 'query ($id: ID!, $waitMs: Int!) { lateUser(id: $id, waitMs: $waitMs) { id } }';
  const id = '00000000-0000-4000-8000-00000000beef';

  it('reads nothing once the budget is spent: the batch is refused with DEADLINE_EXCEEDED', async () => {
    const late = await post(LATE, { id, waitMs: 150 }, { budgetMs: 20 });
    expect(late.body.errors?.map((e) => e.extensions?.code)).toEqual(['DEADLINE_EXCEEDED']);
  });

  it('reads as usual within the budget, or without one', async () => {
    for (const budgetMs of [5_000, undefined]) {
      expect((await post(LATE, { id, waitMs: 30 }, { budgetMs })).body).toEqual({ data: { lateUser: null } });
    }
  });

  it('ignores a budget that is not a whole number of milliseconds from 1 to ten minutes', async () => {
    for (const header of ['0', '-5', '1e3', '600001', 'soon']) {
      const body = JSON.stringify({ query: LATE, variables: { id, waitMs: 30 } });
      const forwarded = encodeIdentity(ANONYMOUS);
      const signature = signRequest(
        { method: 'POST', path: '/graphql', body, headers: { 'x-tessera-identity': forwarded, 'x-tessera-budget-ms': header } },
        NEW_KEY,
      );
      const headers = {
        'content-type': 'application/json',
        'x-tessera-identity': forwarded,
        'x-tessera-budget-ms': header,
        'x-tessera-signature': signature,
      };
      const response = await fetch(`${url}/graphql`, { method: 'POST', headers, body });
      expect(await response.json()).toEqual({ data: { lateUser: null } });
    }
  });
});

describe('request guards, before any resolver runs', () => {
  it('refuses an operation deeper than SUBGRAPH_MAX_DEPTH with MAX_DEPTH_LIMIT', async () => {
    const deep = await post('{ _entities(representations: []) { ... on User { next { next { next { id } } } } } }');
    expect(deep.status).toBe(400);
    expect(deep.body.errors?.[0]?.extensions).toEqual({ code: 'MAX_DEPTH_LIMIT', depth: { measured: 5, max: 3 } });
  });

  it('refuses more _entities representations than SUBGRAPH_MAX_ENTITIES, by variable or literal', async () => {
    const many = await post(ENTITIES, { r: Array.from({ length: 6 }, (_, i) => user(`u${i}`)) });
    expect(many.status).toBe(400);
    expect(many.body.errors?.[0]?.extensions).toEqual({ code: 'MAX_ENTITIES_LIMIT', entities: { measured: 6, max: 5 } });
    const literal = await post(
      `{ _entities(representations: [${Array.from({ length: 6 }, () => '{ __typename: "User", id: "x" }').join(', ')}]) { ... on User { id } } }`,
    );
    expect(literal.body.errors?.[0]?.extensions?.code).toBe('MAX_ENTITIES_LIMIT');
    const five = await post(ENTITIES, { r: Array.from({ length: 5 }, (_, i) => user(`u${i}`)) });
    expect(five.body.data).toEqual({ _entities: [null, null, null, null, null] });
    expect(five.body.errors?.map((e) => e.extensions?.code)).toEqual(Array(5).fill('NOT_FOUND'));
  });

  it('refuses a representation that is not an object naming an entity type, and answers odd keys NOT_FOUND', async () => {
    for (const [representation, field] of [
      [null, 'representations.0'],
      ['User', 'representations.0'],
      [{ id: '1' }, 'representations.0.__typename'],
      [{ __typename: 'Query', id: '1' }, 'representations.0.__typename'],
      [{ __typename: 'Nope' }, 'representations.0.__typename'],
    ] as const) {
      const { status, body } = await post(ENTITIES, { r: [representation] });
      expect(status, JSON.stringify(representation)).toBe(400);
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const odd = await post(ENTITIES, { r: [user({ nested: true }), user(42), { __typename: 'User' }] });
    expect(odd.body.data).toEqual({ _entities: [null, null, null] });
    expect(odd.body.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([0, 1, 2].map((i) => [['_entities', i], 'NOT_FOUND']));
  });

  it('refuses text with U+0000 anywhere in the arguments, naming where, literal or variable', async () => {
    const literal = await post('{ echo(text: "a\\u0000b") }');
    expect(literal.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'text' });
    const variable = await post('query ($l: [String!]) { echo(list: $l) }', { l: ['fine', 'bad\u0000'] });
    expect(variable.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'list.1' });
    const key = await post(ENTITIES, { r: [user('ok'), { __typename: 'User', id: 'x\u0000' }] });
    expect(key.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'representations.1.id' });
    expect(await graphql('{ echo(text: "fine") }')).toEqual({ data: { echo: 'fine' } });
    // The same document again: its literals' answer is remembered, the variables' is not.
    expect((await post('{ echo(text: "a\\u0000b") }')).body.errors?.[0]?.extensions).toMatchObject({ field: 'text' });
    const clean = await post('query ($l: [String!]) { echo(list: $l) }', { l: ['fine'] });
    expect(clean.body.errors).toBeUndefined();
    // Variables too deep for JSON.stringify (sent unused; 10,000 levels) are walked, not a 500.
    const body = `{"query":"query ($t: String) { echo(text: $t) }","variables":{"t":"fine","unused":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`;
    const forwarded = encodeIdentity(ANONYMOUS);
    const signature = signRequest({ method: 'POST', path: '/graphql', body, headers: { 'x-tessera-identity': forwarded } }, NEW_KEY);
    const headers = {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      'x-tessera-identity': forwarded,
      'x-tessera-signature': signature,
    };
    const nested = await fetch(`${url}/graphql`, { method: 'POST', headers, body });
    expect(nested.status).toBe(200);
    expect(await nested.json()).toEqual({ data: { echo: 'fine' } });
  });

  it('gives no field suggestions and refuses introspection in production', async () => {
    const typo = await post('{ userCont }');
    expect(JSON.stringify(typo.body)).not.toMatch(/Did you mean/);
    const introspection = await post('{ __schema { types { name } } }');
    expect(introspection.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

// With REDIS_URL, replicas remember signatures together: test/integration/replay-across-replicas.test.ts.
describe('signatures over what the subgraph acts on, remembered by every replica', () => {
  it('refuses a captured request whose time budget was changed', async () => {
    const request = captured('50');
    expect(await send(`${url}/graphql`, { ...request, headers: { ...request.headers, 'x-tessera-budget-ms': '600000' } })).toBe(401);
  });

  it('without REDIS_URL, each replica remembers only what it saw (the replay window is per replica)', async () => {
    const [a, b] = await Promise.all([startReplica(), startReplica()]);
    try {
      const request = captured();
      expect([await send(a.url, request), await send(b.url, request), await send(a.url, request)]).toEqual([200, 200, 401]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 60_000);
});

describe('the gateway is the only door', () => {
  it('serves a request signed with any configured key (rotation), and trusts the identity it carries', async () => {
    const identity = { sub: 'user-7', scopes: new Set(['a']) };
    expect((await post('{ whoami }', undefined, { identity })).body).toEqual({ data: { whoami: 'user-7' } });
    expect((await post('{ whoami }', undefined, { identity, key: OLD_KEY })).body).toEqual({ data: { whoami: 'user-7' } });
  });

  it('answers 401 UNAUTHENTICATED, before any GraphQL work, to an unsigned, badly signed, unknown-key, stale or replayed request', async () => {
    const body = JSON.stringify({ query: '{ userCount }' });
    const forwarded = encodeIdentity(ANONYMOUS);
    const signed = (key: SigningKey, at = Date.now()) =>
      signRequest({ method: 'POST', path: '/graphql', body, headers: { 'x-tessera-identity': forwarded } }, key, at);
    const send = (signature?: string, identity = forwarded) =>
      fetch(`${url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-tessera-identity': identity,
          ...(signature && { 'x-tessera-signature': signature }),
        },
        body,
      });
    const replayed = signed(NEW_KEY);
    expect((await send(replayed)).status).toBe(200);
    const attempts = {
      unsigned: await send(undefined),
      'wrong secret': await send(signed({ id: 'new', secret: Buffer.from('a-guessed-secret-0123456789abcdefghijkl') })),
      'unknown key': await send(signed({ id: 'retired', secret: NEW_KEY.secret })),
      stale: await send(signed(NEW_KEY, Date.now() - 61_000)),
      replayed: await send(replayed),
      'another identity': await send(signed(NEW_KEY), encodeIdentity({ sub: 'admin', scopes: new Set(['users:write']) })),
    };
    for (const [attempt, response] of Object.entries(attempts)) {
      expect(response.status, attempt).toBe(401);
      expect(await response.json(), attempt).toEqual({
        errors: [{ message: 'Only the gateway may call this service.', extensions: { code: 'UNAUTHENTICATED' } }],
      });
    }
  });

  it('keeps /health and /ready open, revealing nothing internal', async () => {
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${url}/ready`)).json()).toEqual({ status: 'ready' });
  });

  it('answers an unsigned caller 401 on every other path and method, a GET of the endpoint and unknown paths included', async () => {
    for (const [method, path] of [
      ['GET', '/graphql?query=%7BuserCount%7D'],
      ['GET', '/'],
      ['GET', '/metrics'],
      ['POST', '/nope'],
      ['GET', '/health/../graphql'],
      ['PUT', '/graphql'],
    ]) {
      const response = await fetch(`${url}${path}`, {
        method,
        ...(method !== 'GET' && { headers: { 'content-type': 'application/json' }, body: '{}' }),
      });
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(await response.text(), `${method} ${path}`).not.toMatch(/userCount|prisma|stack/i);
    }
    // Signed, an unknown path is simply not there.
    const signature = signRequest(
      { method: 'GET', path: '/nope', body: undefined, headers: { 'x-tessera-identity': encodeIdentity(ANONYMOUS) } },
      NEW_KEY,
    );
    const signed = await fetch(`${url}/nope`, {
      headers: { 'x-tessera-signature': signature, 'x-tessera-identity': encodeIdentity(ANONYMOUS) },
    });
    expect(signed.status).toBe(404);
  });
});
