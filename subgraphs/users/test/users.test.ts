import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubgraphHarness, characterLimitHolds, unstorableInEveryTextField, type SubgraphHarness } from '@tessera/test-helpers';
import { usersSubgraph, type UsersDb } from '../src/index.js';

const CREATE = /* GraphQL */ `
  mutation ($input: CreateUserInput!) {
    createUser(input: $input) {
      id
      username
      name
      email
      createdAt
    }
  }
`;
const PAGE = /* GraphQL */ `
  query ($first: Int, $after: String) {
    users(first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          username
        }
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
    }
  }
`;

interface User {
  id: string;
  username: string;
  name: string;
  email: string | null;
  createdAt: string;
}
interface Page {
  users: {
    edges: Array<{ cursor: string; node: Pick<User, 'id' | 'username'> }>;
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  };
}

/** A result as these tests read it; `TData` is what the operation selects. */
interface Result<TData> {
  data?: TData | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string } & Record<string, unknown> }>;
  extensions?: Record<string, unknown>;
}

let subgraph: SubgraphHarness<UsersDb>;
beforeAll(async () => {
  // An account administrator: may create users and read their addresses.
  subgraph = await createSubgraphHarness(usersSubgraph, {
    identity: { sub: randomUUID(), scopes: new Set(['users:write', 'users:read-email']) },
  });
}, 60_000);
afterAll(() => subgraph?.close());

/** Runs an operation on the subgraph, its result typed as `TData`. */
const run = <TData = Record<string, unknown>>(...args: Parameters<SubgraphHarness<UsersDb>['execute']>) =>
  subgraph.execute(...args) as Promise<Result<TData>>;

const input = (overrides: Record<string, string> = {}) => ({
  username: 'ada.l',
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  ...overrides,
});

describe('createUser', () => {
  it('creates a user and normalises username and email', async () => {
    const { data, errors } = await run<{ createUser: User }>(CREATE, { input: input({ username: ' Ada.L ', email: 'ADA@example.com' }) });
    expect(errors).toBeUndefined();
    expect(data?.createUser).toMatchObject({ username: 'ada.l', name: 'Ada Lovelace', email: 'ada@example.com' });
    expect(new Date(data!.createUser.createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(await subgraph.client.user.count({ where: { username: 'ada.l' } })).toBe(1);
  });

  it.each([
    ['username', { username: 'x' }],
    ['username', { username: 'has space' }],
    ['name', { name: '' }],
    ['email', { email: 'not-an-email' }],
  ])('rejects a bad %s with BAD_USER_INPUT naming the field', async (field, overrides) => {
    const before = await subgraph.client.user.count();
    const { data, errors } = await run(CREATE, {
      input: input({ username: 'valid_name', email: 'v@example.com', ...overrides }),
    });
    expect(data).toBeNull();
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: `input.${field}` });
    expect(errors?.[0]?.extensions?.stacktrace).toBeUndefined();
    expect(await subgraph.client.user.count()).toBe(before);
  });

  it('rejects a taken username and a taken email, naming each', async () => {
    const taken = await run(CREATE, { input: input({ email: 'other@example.com' }) });
    expect(taken.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.username' });
    const takenEmail = await run(CREATE, { input: input({ username: 'someone_else' }) });
    expect(takenEmail.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.email' });
  });
});

describe('users connection', () => {
  beforeAll(async () => {
    for (let i = 0; i < 5; i++) {
      await run(CREATE, { input: { username: `page_${i}`, name: `Page ${i}`, email: `page${i}@example.com` } });
    }
  });

  it('pages through every user exactly once, oldest first', async () => {
    const total = await subgraph.client.user.count();
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const { data, errors }: Result<Page> = await run<Page>(PAGE, { first: 2, after });
      expect(errors).toBeUndefined();
      const { edges, pageInfo }: Page['users'] = data!.users;
      seen.push(...edges.map((e) => e.node.id));
      expect(pageInfo.hasPreviousPage).toBe(after !== null);
      pages++;
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    expect([...seen].sort()).toEqual(seen);
    expect(pages).toBe(Math.ceil(total / 2));
  });

  it('rejects first over the cap instead of clamping', async () => {
    const { errors } = await run(PAGE, { first: 101 });
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first', max: 100 });
  });

  it('rejects a cursor it did not issue', async () => {
    const { errors } = await run(PAGE, { first: 2, after: 'bm90LWEtY3Vyc29y' });
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });
});

describe('entities', () => {
  it('resolves references in order; an unknown or malformed id is null with NOT_FOUND on its path', async () => {
    const users = await subgraph.client.user.findMany({ take: 2, orderBy: { id: 'asc' } });
    const { data, errors } = await run<{ _entities: Array<Pick<User, 'id' | 'username'> | null> }>(
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id username } } }`,
      {
        r: [
          { __typename: 'User', id: users[1]!.id },
          { __typename: 'User', id: '00000000-0000-7000-8000-000000000000' },
          { __typename: 'User', id: 'not-a-uuid' },
          { __typename: 'User', id: users[0]!.id },
        ],
      },
    );
    expect(data?._entities).toEqual([
      { id: users[1]!.id, username: users[1]!.username },
      null,
      null,
      { id: users[0]!.id, username: users[0]!.username },
    ]);
    expect(errors?.map((e) => [e.path, e.extensions?.code])).toEqual([
      [['_entities', 1], 'NOT_FOUND'],
      [['_entities', 2], 'NOT_FOUND'],
    ]);
  });

  it('looks a user up by id', async () => {
    const user = await subgraph.client.user.findFirstOrThrow();
    const { data } = await run<{ user: Pick<User, 'username'> | null }>(`query ($id: ID!) { user(id: $id) { username } }`, { id: user.id });
    expect(data?.user).toEqual({ username: user.username });
    const missing = await run<{ user: Pick<User, 'username'> | null }>(`{ user(id: "nope") { username } }`);
    expect(missing.data?.user).toBeNull();
  });
});

describe('hostile input', () => {
  it('refuses U+0000 or an unpaired surrogate in any text of createUser, naming the field, writing nothing', async () => {
    await unstorableInEveryTextField({
      execute: (variables) => subgraph.execute(CREATE, variables),
      input: input({ username: 'nul_probe', email: 'nul@example.com' }),
      fields: ['username', 'name', 'email'],
      count: () => subgraph.client.user.count(),
    });
  });

  it('counts the name in characters, not UTF-16 units: 100 of any kind are taken, 101 refused', async () => {
    let n = 0;
    await characterLimitHolds({
      execute: (variables) => subgraph.execute(CREATE, variables),
      input: () => input({ username: `chars_${++n}`, email: `chars${n}@example.com` }),
      field: 'name',
      limit: 100,
    });
  }, 30_000);

  it('finds a user by its id in upper case, as an argument and as an entity key', async () => {
    const user = await subgraph.client.user.findFirstOrThrow();
    const upper = user.id.toUpperCase();
    const byArgument = await run<{ user: Pick<User, 'id'> | null }>(`query ($id: ID!) { user(id: $id) { id } }`, { id: upper });
    expect(byArgument.data?.user).toEqual({ id: user.id });
    const entities = await run<{ _entities: Array<Pick<User, 'id'> | null> }>(
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }`,
      { r: [{ __typename: 'User', id: upper }] },
    );
    expect(entities.data?._entities).toEqual([{ id: user.id }]);
  });
});

describe('authorization in the subgraph', () => {
  const EMAIL = `query ($id: ID!) { user(id: $id) { id email } }`;
  type Email = { user: Pick<User, 'id' | 'email'> | null };

  it("shows a user's email to that user and to users:read-email, to nobody else", async () => {
    const user = await subgraph.client.user.findFirstOrThrow();
    const self = await run<Email>(EMAIL, { id: user.id }, { sub: user.id, scopes: new Set() });
    expect(self.data?.user).toEqual({ id: user.id, email: user.email });
    const reader = await run<Email>(EMAIL, { id: user.id }, { sub: randomUUID(), scopes: new Set(['users:read-email']) });
    expect(reader.data?.user?.email).toBe(user.email);
    const other = await run<Email>(EMAIL, { id: user.id }, { sub: randomUUID(), scopes: new Set() });
    expect(other.data?.user).toEqual({ id: user.id, email: null });
    expect(other.errors?.[0]).toMatchObject({ path: ['user', 'email'], extensions: { code: 'FORBIDDEN' } });
  });

  it('creates a user only with users:write', async () => {
    const before = await subgraph.client.user.count();
    const { data, errors } = await run(
      CREATE,
      { input: input({ username: 'no_scope', email: 'noscope@example.com' }) },
      { sub: randomUUID(), scopes: new Set() },
    );
    expect(data).toBeNull();
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', scope: 'users:write' });
    expect(await subgraph.client.user.count()).toBe(before);
  });
});

describe('updateUser', () => {
  const UPDATE = 'mutation ($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id username name email } }';
  const account = async () =>
    subgraph.client.user.create({
      data: { username: `upd_${randomUUID().slice(0, 8)}`, name: 'Old', email: `${randomUUID()}@example.com` },
    });

  it('lets the user change their own name and email, and reports what changed for the caches', async () => {
    const user = await account();
    const self = { sub: user.id.toUpperCase(), scopes: new Set<string>() };
    const { data, errors, extensions } = await run<{ updateUser: Omit<User, 'createdAt'> }>(
      UPDATE,
      { id: user.id, input: { name: ' New ', email: 'NEW@Example.com' } },
      self,
    );
    expect(errors).toBeUndefined();
    expect(data?.updateUser).toEqual({ id: user.id, username: user.username, name: 'New', email: 'new@example.com' });
    expect(extensions?.cacheInvalidations).toEqual([
      { kind: 'entity', type: 'User', id: user.id },
      { kind: 'type', type: 'User' },
    ]);
  });

  it("refuses anyone else's account, a taken email and bad input, changing nothing", async () => {
    const [user, other] = [await account(), await account()];
    const self = { sub: user.id, scopes: new Set<string>() };
    const someoneElse = await run(UPDATE, { id: other.id, input: { name: 'Hijacked' } }, self);
    expect(someoneElse.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    const taken = await run(UPDATE, { id: user.id, input: { email: other.email } }, self);
    expect(taken.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.email' });
    const empty = await run(UPDATE, { id: user.id, input: {} }, self);
    expect(empty.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input' });
    const anonymous = await run(UPDATE, { id: user.id, input: { name: 'x' } }, { scopes: new Set() });
    expect(anonymous.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await subgraph.client.user.findUnique({ where: { id: other.id } })).toMatchObject({ name: 'Old', email: other.email });
    expect(await subgraph.client.user.findUnique({ where: { id: user.id } })).toMatchObject({ name: 'Old', email: user.email });
  });
});
