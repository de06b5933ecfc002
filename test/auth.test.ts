/**
 * Identity and trust on the real stack: four processes on PostgreSQL, tokens verified by the
 * gateway, authorization from the supergraph, ownership in the subgraphs, and subgraphs that
 * answer only requests the gateway signed.
 */
import { randomUUID } from 'node:crypto';
import { encodeIdentity, parseSigningKeys, signRequest, ANONYMOUS, type SigningKey } from '@tessera/service-kit';
import {
  postGraphQL,
  sqlRows,
  startPlatformWithDatabases,
  testToken,
  type GraphQLResponse,
  type PlatformWithDatabases,
  type SubgraphName,
} from '@tessera/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Subgraphs accept both keys; the platform's gateway signs with the first (`old`). */
const OLD = 'old:old-signing-secret-0123456789abcdefghijklmn';
const NEW = 'new:new-signing-secret-0123456789abcdefghijklmn';
const [OLD_KEY] = parseSigningKeys(OLD) as [SigningKey];

let platform: PlatformWithDatabases;
const sql = <T>(db: SubgraphName, text: string, values: unknown[] = []) => sqlRows<T>(platform.databases.byName[db].url, text, values);

/** The callers of the table: seeded users A, B and M, and an admin (also a user) with every scope. */
type Actor = 'anonymous' | 'userA' | 'userB' | 'moderator' | 'admin';
const ACTORS: Actor[] = ['anonymous', 'userA', 'userB', 'moderator', 'admin'];
const SCOPES: Record<Actor, string[]> = {
  anonymous: [],
  userA: [],
  userB: [],
  moderator: ['reviews:moderate'],
  admin: ['users:write', 'users:read-email', 'products:write', 'reviews:moderate'],
};
const people = {} as Record<Actor, { id?: string; email?: string; token?: string }>;
let productId: string;

beforeAll(async () => {
  platform = await startPlatformWithDatabases('auth', {
    env: { SUBGRAPH_SIGNING_KEYS: `${OLD},${NEW}`, SEED_USERS: '8', SEED_PRODUCTS: '4', SEED_REVIEWS: '30' },
  });
  const users = await sql<{ id: string; email: string }>('users', 'SELECT id, email FROM users ORDER BY id LIMIT 4');
  people.anonymous = {};
  for (const [i, actor] of (['userA', 'userB', 'moderator', 'admin'] as const).entries()) {
    people[actor] = { ...users[i]!, token: await testToken({ sub: users[i]!.id, scopes: SCOPES[actor] }) };
  }
  [{ id: productId }] = (await sql<{ id: string }>('products', 'SELECT id FROM products ORDER BY id LIMIT 1')) as [{ id: string }];
}, 120_000);

afterAll(() => platform?.stop());

const as = <TData = Record<string, unknown>>(actor: Actor, query: string, variables: Record<string, unknown> = {}) =>
  platform.graphql<TData>(query, variables, { token: people[actor].token });

/** The data of a page of users with their emails. */
interface UserEmails {
  users: { edges: Array<{ node: { id: string; email: string | null } }> };
}

/** Rows per table: what a refused request must leave as it was. */
async function counts() {
  const [[users], [products], [reviews]] = await Promise.all([
    sql<{ n: number }>('users', 'SELECT count(*)::int AS n FROM users'),
    sql<{ n: number }>('products', 'SELECT count(*)::int AS n FROM products'),
    sql<{ n: number }>('reviews', 'SELECT count(*)::int AS n FROM reviews'),
  ]);
  return { users: users!.n, products: products!.n, reviews: reviews!.n };
}

/** A review by user A, written straight to its database: something to try to delete. */
async function reviewByA(): Promise<string> {
  const [row] = await sql<{ id: string }>(
    'reviews',
    "INSERT INTO reviews (id, rating, body, author_id, product_id) VALUES (gen_random_uuid(), 3, 'target', $1, $2) RETURNING id",
    [people.userA.id, productId],
  );
  return row!.id;
}

/** `allowed`, or refused with this code and HTTP status (and nothing written). */
type Outcome = 'allowed' | { code: string; status: number };
const NOT_SIGNED_IN: Outcome = { code: 'UNAUTHORIZED_FIELD_OR_TYPE', status: 401 };
const MISSING_SCOPE: Outcome = { code: 'UNAUTHORIZED_FIELD_OR_TYPE', status: 403 };
const FORBIDDEN: Outcome = { code: 'FORBIDDEN', status: 200 };

/** A refused answer: the outcome's status and code, and no data. */
function expectRefused(outcome: Exclude<Outcome, 'allowed'>, { status, body }: { status: number; body: GraphQLResponse<unknown> }): void {
  expect(status).toBe(outcome.status);
  expect(body.data ?? null).toBeNull();
  expect(body.errors?.[0]?.extensions?.code).toBe(outcome.code);
}

interface Write {
  /** Sends the mutation as `actor`; the table it writes to and how its row count moves when allowed. */
  send(actor: Actor, attempt: number): Promise<{ status: number; body: GraphQLResponse }>;
  table: 'users' | 'products' | 'reviews';
  delta: number;
  /** Checks of an allowed answer (the review's author is the caller, …). */
  check?(actor: Actor, body: GraphQLResponse): void;
  who: Record<Actor, Outcome>;
}

const WRITES: Record<string, Write> = {
  createUser: {
    send: (actor, n) =>
      as(actor, `mutation ($u: String!) { createUser(input: { username: $u, name: "New", email: "new.${n}@example.com" }) { id } }`, {
        u: `new.user_${n}`,
      }),
    table: 'users',
    delta: 1,
    who: { anonymous: NOT_SIGNED_IN, userA: MISSING_SCOPE, userB: MISSING_SCOPE, moderator: MISSING_SCOPE, admin: 'allowed' },
  },
  createProduct: {
    send: (actor, n) =>
      as(
        actor,
        `mutation ($s: String!) { createProduct(input: { sku: $s, name: "New", price: { amount: 100, currency: "EUR" } }) { id } }`,
        { s: `AUTH-${n}` },
      ),
    table: 'products',
    delta: 1,
    who: { anonymous: NOT_SIGNED_IN, userA: MISSING_SCOPE, userB: MISSING_SCOPE, moderator: MISSING_SCOPE, admin: 'allowed' },
  },
  'createReview (as the caller)': {
    send: (actor) =>
      as(actor, `mutation ($p: ID!) { createReview(input: { productId: $p, rating: 4, body: "Mine" }) { author { id } } }`, {
        p: productId,
      }),
    table: 'reviews',
    delta: 1,
    check: (actor, body) => expect(body.data).toEqual({ createReview: { author: { id: people[actor].id } } }),
    who: { anonymous: NOT_SIGNED_IN, userA: 'allowed', userB: 'allowed', moderator: 'allowed', admin: 'allowed' },
  },
  'createReview (authorId: user A)': {
    send: (actor) =>
      as(
        actor,
        `mutation ($p: ID!, $a: ID!) { createReview(input: { productId: $p, authorId: $a, rating: 1, body: "As A" }) { author { id } } }`,
        {
          p: productId,
          a: people.userA.id,
        },
      ),
    table: 'reviews',
    delta: 1,
    check: (_actor, body) => expect(body.data).toEqual({ createReview: { author: { id: people.userA.id } } }),
    who: { anonymous: NOT_SIGNED_IN, userA: 'allowed', userB: FORBIDDEN, moderator: FORBIDDEN, admin: FORBIDDEN },
  },
};

describe('who may do what, through the gateway', () => {
  const cells = Object.entries(WRITES).flatMap(([name, write]) => ACTORS.map((actor) => [name, actor, write] as const));
  let attempt = 0;

  it.each(cells)('%s as %s', async (_name, actor, write) => {
    const outcome = write.who[actor];
    const before = await counts();
    const { status, body } = await write.send(actor, ++attempt);
    const after = await counts();
    if (outcome === 'allowed') {
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
      write.check?.(actor, body);
      expect(after).toEqual({ ...before, [write.table]: before[write.table] + write.delta });
    } else {
      expectRefused(outcome, { status, body });
      expect(after).toEqual(before);
    }
  });

  const DELETE: Record<Actor, Outcome> = {
    anonymous: NOT_SIGNED_IN,
    userA: 'allowed',
    userB: FORBIDDEN,
    moderator: 'allowed',
    admin: 'allowed',
  };
  it.each(ACTORS)("deleteReview of user A's review as %s", async (actor) => {
    const id = await reviewByA();
    const { status, body } = await as(actor, 'mutation ($id: ID!) { deleteReview(id: $id) { id } }', { id });
    const left = await sql('reviews', 'SELECT id FROM reviews WHERE id = $1', [id]);
    const outcome = DELETE[actor];
    if (outcome === 'allowed') {
      expect(body).toEqual({ data: { deleteReview: { id } } });
      expect(left).toEqual([]);
    } else {
      expect(status).toBe(outcome.status);
      expect(body.errors?.[0]?.extensions?.code).toBe(outcome.code);
      expect(left).toHaveLength(1);
    }
  });

  /** The storefront's edits: who may make them, and what the row says afterwards (changed only when allowed). */
  const EDITS = {
    updateProduct: {
      field: 'name',
      send: (actor: Actor, name: string) =>
        as(actor, 'mutation ($id: ID!, $n: String!) { updateProduct(id: $id, input: { name: $n }) { name } }', { id: productId, n: name }),
      stored: async () => (await sql<{ v: string }>('products', 'SELECT name AS v FROM products WHERE id = $1', [productId]))[0]!.v,
      who: { anonymous: NOT_SIGNED_IN, userA: MISSING_SCOPE, userB: MISSING_SCOPE, moderator: MISSING_SCOPE, admin: 'allowed' } as Record<
        Actor,
        Outcome
      >,
    },
    "updateReview of user A's review": {
      target: reviewByA,
      field: 'body',
      send: (actor: Actor, body: string, id?: string) =>
        as(actor, 'mutation ($id: ID!, $b: String!) { updateReview(id: $id, input: { body: $b }) { body } }', { id, b: body }),
      stored: async (id?: string) => (await sql<{ v: string }>('reviews', 'SELECT body AS v FROM reviews WHERE id = $1', [id]))[0]!.v,
      who: { anonymous: NOT_SIGNED_IN, userA: 'allowed', userB: FORBIDDEN, moderator: FORBIDDEN, admin: FORBIDDEN } as Record<
        Actor,
        Outcome
      >,
    },
    'updateUser of user A': {
      field: 'name',
      send: (actor: Actor, name: string) =>
        as(actor, 'mutation ($id: ID!, $n: String!) { updateUser(id: $id, input: { name: $n }) { name } }', {
          id: people.userA.id,
          n: name,
        }),
      stored: async () => (await sql<{ v: string }>('users', 'SELECT name AS v FROM users WHERE id = $1', [people.userA.id]))[0]!.v,
      who: { anonymous: NOT_SIGNED_IN, userA: 'allowed', userB: FORBIDDEN, moderator: FORBIDDEN, admin: FORBIDDEN } as Record<
        Actor,
        Outcome
      >,
    },
  };
  const edits = Object.entries(EDITS).flatMap(([name, edit]) => ACTORS.map((actor) => [name, actor, edit] as const));
  it.each(edits)('%s as %s', async (_name, actor, edit) => {
    const target = 'target' in edit ? await edit.target() : undefined;
    const before = await edit.stored(target);
    const value = `Edited by ${actor} ${randomUUID().slice(0, 8)}`;
    const { status, body } = await edit.send(actor, value, target);
    const outcome = edit.who[actor];
    if (outcome === 'allowed') {
      expect([status, body.errors]).toEqual([200, undefined]);
      expect(Object.values(body.data!)[0]).toEqual({ [edit.field]: value });
      expect(await edit.stored(target)).toBe(value);
    } else {
      expectRefused(outcome, { status, body });
      expect(await edit.stored(target)).toBe(before);
    }
  });

  const EMAIL: Record<Actor, 'visible' | 'UNAUTHORIZED_FIELD_OR_TYPE' | 'FORBIDDEN'> = {
    anonymous: 'UNAUTHORIZED_FIELD_OR_TYPE',
    userA: 'visible',
    userB: 'FORBIDDEN',
    moderator: 'FORBIDDEN',
    admin: 'visible',
  };
  it.each(ACTORS)('User.email of user A as %s: the rest of the answer stays', async (actor) => {
    const { status, body } = await as<{ user: { id: string; email: string | null } }>(
      actor,
      'query ($id: ID!) { user(id: $id) { id email } }',
      { id: people.userA.id },
    );
    expect(status).toBe(200);
    expect(body.data!.user.id).toBe(people.userA.id);
    if (EMAIL[actor] === 'visible') {
      expect(body.data!.user.email).toBe(people.userA.email);
      expect(body.errors).toBeUndefined();
    } else {
      expect(body.data!.user.email).toBeNull();
      expect(body.errors).toMatchObject([{ path: ['user', 'email'], extensions: { code: EMAIL[actor] } }]);
    }
  });

  it('answers everyone at once with their own view when they send the same query together (deduplication never crosses callers)', async () => {
    const query = '{ users(first: 100) { edges { node { id email } } } }';
    // Interleaved, so identical queries are in flight together (the gateway then executes each caller's once).
    const burst = Array.from({ length: 8 }, () => ACTORS).flat();
    const answers = await Promise.all(burst.map((actor) => as<UserEmails>(actor, query)));
    answers.forEach(({ body }, i) => {
      const actor = burst[i]!;
      const emails = body.data!.users.edges.filter((e) => e.node.email !== null).map((e) => e.node.id);
      // The admin has users:read-email; every other signed-in caller sees their own email only.
      if (actor === 'admin') expect(emails).toHaveLength(body.data!.users.edges.length);
      else expect(emails).toEqual(people[actor].id ? [people[actor].id] : []);
    });
  });

  it('pages through users without anyone else’s email, whoever asks without the scope', async () => {
    const query = '{ users(first: 100) { edges { node { id email } } } }';
    const anonymous = await as<UserEmails>('anonymous', query);
    expect(anonymous.body.data!.users.edges.every((e) => e.node.email === null)).toBe(true);
    expect(anonymous.body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
    const userB = await as<UserEmails>('userB', query);
    const visible = userB.body.data!.users.edges.filter((e) => e.node.email !== null).map((e) => e.node.id);
    expect(visible).toEqual([people.userB.id]);
    const admin = await as<UserEmails>('admin', query);
    expect(admin.body.data!.users.edges.every((e) => typeof e.node.email === 'string')).toBe(true);
  });

  it('takes a token whose subject is the user id in upper case as that user, everywhere', async () => {
    const shouting = await testToken({ sub: people.userA.id!.toUpperCase() });
    const me = await platform.graphql(`{ user(id: "${people.userA.id}") { id email } }`, {}, { token: shouting });
    expect(me.body).toEqual({ data: { user: { id: people.userA.id, email: people.userA.email } } });
    const id = await reviewByA();
    const removed = await platform.graphql('mutation ($id: ID!) { deleteReview(id: $id) { id } }', { id }, { token: shouting });
    expect(removed.body).toEqual({ data: { deleteReview: { id } } });
  });

  it('refuses a bad token with 401 and no data, never as anonymous', async () => {
    for (const token of [
      'not-a-jwt',
      await testToken({ sub: people.userA.id!, expires: Math.floor(Date.now() / 1000) - 3600 }),
      await testToken({ sub: people.userA.id!, audience: 'someone-else' }),
      await testToken({ sub: people.userA.id!, secret: 'another-secret-0123456789abcdefghijklmnop' }),
    ]) {
      const { status, body } = await platform.graphql('{ topProducts(first: 1) { name } }', {}, { token });
      expect(status).toBe(401);
      expect(body.data).toBeUndefined();
      expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });
});

describe('referential integrity across subgraphs', () => {
  it('refuses a review of a product, or by an author, that does not exist, writing nothing', async () => {
    const before = await counts();
    const review = 'mutation ($p: ID!) { createReview(input: { productId: $p, rating: 5, body: "Forged" }) { id } }';
    const forgedProduct = await as('userA', review, { p: randomUUID() });
    expect(forgedProduct.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.productId' });
    const ghost = await platform.graphql(review, { p: productId }, { token: await testToken({ sub: randomUUID() }) });
    expect(ghost.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.authorId' });
    expect(await counts()).toEqual(before);
  });

  it('keeps the README query whole when a review points at a user or product that is gone', async () => {
    const [top] = await sql<{ id: string }>('products', 'SELECT id FROM products ORDER BY units_sold DESC, id LIMIT 1');
    // Reviews list newest (largest id) first: these rows are on the first page of every list they are in.
    const ghostAuthor = '00000000-0000-7000-8000-0000000000a1';
    const ghostProduct = '00000000-0000-7000-8000-0000000000b1';
    await sql(
      'reviews',
      `INSERT INTO reviews (id, rating, body, author_id, product_id) VALUES
        ('ffffffff-ffff-7fff-bfff-fffffffffff1', 5, 'by nobody', $1, $2),
        ('ffffffff-ffff-7fff-bfff-fffffffffff2', 5, 'of nothing', $3, $4)`,
      [ghostAuthor, top!.id, people.userB.id, ghostProduct],
    );
    try {
      const readme = await platform.graphql<{
        topProducts: Array<{ reviews: { edges: Array<{ node: { body: string; rating: number; author: { username: string } | null } }> } }>;
      }>(`{
        topProducts(first: 5) { name price { amount currency } averageRating reviews(first: 3) { edges { node { body rating author { username } } } } }
      }`);
      expect(readme.status).toBe(200);
      const products = readme.body.data!.topProducts;
      expect(products).toHaveLength(5);
      const first = products[0]!.reviews.edges[0]!.node;
      expect(first).toEqual({ body: 'by nobody', rating: 5, author: null });
      const others = products.flatMap((p) => p.reviews.edges.map((e) => e.node)).filter((node) => node !== first);
      expect(others.every((node) => typeof node.author?.username === 'string')).toBe(true);
      expect(readme.body.errors).toMatchObject([
        { path: ['topProducts', 0, 'reviews', 'edges', 0, 'node', 'author'], extensions: { code: 'NOT_FOUND' } },
      ]);

      const mine = await as<{ me: { reviews: { edges: Array<{ node: { body: string; product: { name: string } | null } }> } } }>(
        'userB',
        '{ me: user(id: "' + people.userB.id + '") { reviews(first: 1) { edges { node { body product { name } } } } } }',
      );
      expect(mine.body.data!.me.reviews.edges[0]?.node).toEqual({ body: 'of nothing', product: null });
      expect(mine.body.errors).toMatchObject([
        { path: ['me', 'reviews', 'edges', 0, 'node', 'product'], extensions: { code: 'NOT_FOUND' } },
      ]);
    } finally {
      await sql(
        'reviews',
        "DELETE FROM reviews WHERE id IN ('ffffffff-ffff-7fff-bfff-fffffffffff1', 'ffffffff-ffff-7fff-bfff-fffffffffff2')",
      );
    }
  });
});

describe('the gateway is the only door', () => {
  const subgraphs = ['users', 'products', 'reviews'] as const;
  const BODY = JSON.stringify({ query: '{ _service { sdl } }' });
  const call = (service: SubgraphName, headers: Record<string, string>, body = BODY) =>
    fetch(`http://127.0.0.1:${platform.ports[service]}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  const signed = (identity = encodeIdentity(ANONYMOUS), key = OLD_KEY, at = Date.now(), body = BODY) => ({
    'x-tessera-identity': identity,
    'x-tessera-signature': signRequest({ method: 'POST', path: '/graphql', body, headers: { 'x-tessera-identity': identity } }, key, at),
  });

  it.each(subgraphs)('%s refuses unsigned, wrongly signed, stale, replayed and re-addressed requests with 401', async (service) => {
    const once = signed();
    expect((await call(service, once)).status).toBe(200);
    const attempts: Record<string, Response> = {
      unsigned: await call(service, {}),
      'wrong secret': await call(service, signed(undefined, { id: 'old', secret: Buffer.from('guessed-secret-0123456789abcdefghijklmn') })),
      'unknown key id': await call(service, signed(undefined, { id: 'other', secret: OLD_KEY.secret })),
      stale: await call(service, signed(undefined, OLD_KEY, Date.now() - 61_000)),
      replayed: await call(service, once),
      'identity swapped': await call(service, {
        ...signed(),
        'x-tessera-identity': encodeIdentity({ sub: people.admin.id, scopes: new Set(SCOPES.admin) }),
      }),
      'body swapped': await call(service, signed(), JSON.stringify({ query: '{ __typename }' })),
    };
    for (const [attempt, response] of Object.entries(attempts)) {
      expect(response.status, attempt).toBe(401);
      expect(await response.json(), attempt).toEqual({
        errors: [{ message: 'Only the gateway may call this service.', extensions: { code: 'UNAUTHENTICATED' } }],
      });
    }
    await expect.poll(() => platform.logs(service)).toContain('refused a request the gateway did not sign');
  });

  it.each(subgraphs)('%s answers /health and /ready to anyone, and nothing else', async (service) => {
    const base = `http://127.0.0.1:${platform.ports[service]}`;
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${base}/ready`)).json()).toEqual({ status: 'ready' });
    for (const path of ['/graphql?query=%7B__typename%7D', '/', '/metrics', '/.env']) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(401);
    }
  });

  it('rotates keys without downtime: a gateway signing with the new key is served, one with a retired key is not', async () => {
    const rotated = await platform.spawnGateway({ SUBGRAPH_SIGNING_KEYS: `${NEW},${OLD}` });
    const retired = await platform.spawnGateway({ SUBGRAPH_SIGNING_KEYS: 'retired:retired-secret-0123456789abcdefghijklmn' });
    try {
      // As a client that states no media type.
      const post = (url: string, query: string, token?: string) =>
        postGraphQL<{ topProducts: unknown[] }>(url, { query }, { accept: '*/*', ...(token && { authorization: `Bearer ${token}` }) });
      const read = '{ topProducts(first: 2) { name reviews(first: 1) { edges { node { author { username } } } } } }';
      const viaNew = await post(rotated.url, read);
      expect(viaNew.body.errors).toBeUndefined();
      expect(viaNew.body.data!.topProducts).toHaveLength(2);
      expect((await post(platform.gatewayUrl, read)).body).toEqual(viaNew.body);
      // The identity travels under the new key too.
      const written = await post(
        rotated.url,
        `mutation { createReview(input: { productId: "${productId}", rating: 5, body: "Rotated" }) { author { id } } }`,
        people.userA.token,
      );
      expect(written.body).toEqual({ data: { createReview: { author: { id: people.userA.id } } } });

      const refused = await post(retired.url, read);
      expect(refused.body.data ?? null).toBeNull();
      expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'SUBREQUEST_HTTP_ERROR', service: 'products' });
      expect(JSON.stringify(refused.body)).not.toMatch(/signature|secret|127\.0\.0\.1/i);
    } finally {
      await rotated.stop();
      await retired.stop();
    }
  });
});
