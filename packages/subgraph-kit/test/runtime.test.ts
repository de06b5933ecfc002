/**
 * The subgraph runtime end to end, on a tiny subgraph of the users database (embedded, in
 * memory): migrations, seeding an empty database, serving over HTTP, entity references
 * through a batch loader, error masking, readiness and closing.
 */
import { PrismaClient } from '@tessera/prisma/users';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRowLoader, isUuid, loadSubgraphConfig, readTypeDefs, startSubgraph, type RunningSubgraph, type SubgraphDefinition } from '../src/index.js';

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
    },
    User: { __resolveReference: ({ id }: { id: string }, { userById }: Context) => userById.load(id) },
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
    { USERS_DATA_DIR: 'memory://', SEED_USERS: '3', LOG_LEVEL: 'silent', NODE_ENV: 'test', HOST: '127.0.0.1' },
  );
  running = await startSubgraph(tinyUsers, config);
  url = `http://127.0.0.1:${running.port}`;
}, 60_000);
afterAll(() => running?.close());

const graphql = async (query: string, variables?: Record<string, unknown>) => {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as { data?: any; errors?: any[] };
};

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
