/**
 * The subgraph runtime end to end, on a tiny subgraph of the users database (embedded, in
 * memory): migrations, seeding an empty database, serving over HTTP, entity references
 * through a batch loader, error masking, readiness and closing.
 */
import { PrismaClient } from '@tessera/prisma/users';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRowLoader, isUuid, loadByKey, loadSubgraphConfig, readTypeDefs, startSubgraph, type RunningSubgraph, type SubgraphDefinition } from '../src/index.js';

const createContext = (db: PrismaClient) => ({
  db,
  userById: createRowLoader((ids) => db.user.findMany({ where: { id: { in: ids } } }), (user) => user.id, { isValidKey: isUuid }),
});
type Context = ReturnType<typeof createContext>;

const tinyUsers: SubgraphDefinition<PrismaClient, Context> = {
  name: 'users',
  typeDefs: readTypeDefs(new URL('./fixtures/schema.graphql', import.meta.url)),
  resolvers: {
    Query: {
      userCount: (_parent: unknown, _args: unknown, { db }: Context) => db.user.count(),
      broken: () => {
        throw new Error('password=hunter2 at db.internal:5432');
      },
      echo: (_parent: unknown, { text }: { text?: string }) => text ?? null,
    },
    User: { __resolveReference: ({ id }: { id: unknown }, { userById }: Context) => loadByKey(userById, id), next: () => null },
  } as never,
  createClient: (adapter) => new PrismaClient({ adapter }),
  createContext,
  isEmpty: async (db) => (await db.user.count()) === 0,
  seed: async (db, sizes) => {
    await db.user.createMany({
      data: Array.from({ length: sizes.users }, (_, i) => ({ username: `seed_${i}`, name: `Seed ${i}`, email: `seed${i}@example.com` })),
    });
  },
};

let running: RunningSubgraph;
let url: string;
beforeAll(async () => {
  const config = loadSubgraphConfig(
    { name: 'users', defaultPort: 0 },
    { USERS_DATA_DIR: 'memory://', SEED_USERS: '3', LOG_LEVEL: 'silent', NODE_ENV: 'production', HOST: '127.0.0.1', SUBGRAPH_MAX_DEPTH: '3', SUBGRAPH_MAX_ENTITIES: '5' },
  );
  running = await startSubgraph(tinyUsers, config);
  url = `http://127.0.0.1:${running.port}`;
}, 60_000);
afterAll(() => running?.close());

const graphql = async (query: string, variables?: Record<string, unknown>) => (await post(query, variables)).body;
const post = async (query: string, variables?: Record<string, unknown>) => {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: any[] } };
};
const user = (id: unknown) => ({ __typename: 'User', id });
const ENTITIES = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }';

describe('startSubgraph', () => {
  it('migrates and seeds an empty database, then serves it', async () => {
    expect(await graphql('{ userCount }')).toEqual({ data: { userCount: 3 } });
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });

  it('resolves entity references through the loader, null for unknown ids', async () => {
    const body = await graphql('{ _entities(representations: [{ __typename: "User", id: "nope" }]) { ... on User { username } } }');
    expect(body).toEqual({ data: { _entities: [null] } });
  });

  it('masks an unexpected error: no message, no stack, a stable code', async () => {
    const body = await graphql('{ broken }');
    expect(body.errors).toEqual([{ message: 'Internal server error', path: ['broken'], locations: [{ line: 1, column: 3 }], extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
    expect(JSON.stringify(body)).not.toContain('hunter2');
  });

  it('serves no landing page (subgraphs sit behind the gateway)', async () => {
    const page = await fetch(`${url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toMatch(/sandbox|<html/i);
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
    const literal = await post(`{ _entities(representations: [${Array.from({ length: 6 }, () => '{ __typename: "User", id: "x" }').join(', ')}]) { ... on User { id } } }`);
    expect(literal.body.errors?.[0]?.extensions?.code).toBe('MAX_ENTITIES_LIMIT');
    expect((await post(ENTITIES, { r: Array.from({ length: 5 }, (_, i) => user(`u${i}`)) })).body).toEqual({ data: { _entities: [null, null, null, null, null] } });
  });

  it('refuses a representation that is not an object naming an entity type, and resolves odd keys to null', async () => {
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
    expect(odd.body).toEqual({ data: { _entities: [null, null, null] } });
  });

  it('refuses text with U+0000 anywhere in the arguments, naming where, literal or variable', async () => {
    const literal = await post('{ echo(text: "a\\u0000b") }');
    expect(literal.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'text' });
    const variable = await post('query ($l: [String!]) { echo(list: $l) }', { l: ['fine', 'bad\u0000'] });
    expect(variable.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'list.1' });
    const key = await post(ENTITIES, { r: [user('ok'), { __typename: 'User', id: 'x\u0000' }] });
    expect(key.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'representations.1.id' });
    expect(await graphql('{ echo(text: "fine") }')).toEqual({ data: { echo: 'fine' } });
  });

  it('gives no field suggestions and refuses introspection in production', async () => {
    const typo = await post('{ userCont }');
    expect(JSON.stringify(typo.body)).not.toMatch(/Did you mean/);
    const introspection = await post('{ __schema { types { name } } }');
    expect(introspection.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
