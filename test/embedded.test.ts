/**
 * The embedded default: no database server configured, each subgraph on PGlite under
 * its data directory. Data must survive a restart, and start-up must not re-seed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform, testToken, type Connection, type Platform } from '@tessera/test-helpers';

let dataRoot: string;
let env: Record<string, string>;
beforeAll(async () => {
  dataRoot = await mkdtemp(join(tmpdir(), 'tessera-embedded-'));
  env = {
    // Outside development the embedded database is an explicit choice.
    EMBEDDED_DATABASE: 'true',
    SEED_USERS: '10',
    SEED_PRODUCTS: '5',
    SEED_REVIEWS: '40',
    USERS_DATA_DIR: join(dataRoot, 'users'),
    PRODUCTS_DATA_DIR: join(dataRoot, 'products'),
    REVIEWS_DATA_DIR: join(dataRoot, 'reviews'),
  };
});
afterAll(() => rm(dataRoot, { recursive: true, force: true }));

const COUNT = `{ users(first: 100) { edges { node { id } } } products(first: 100) { edges { node { id } } } }`;
interface Count {
  users: Connection<{ id: string }>;
  products: Connection<{ id: string }>;
}

describe('embedded databases', () => {
  let platform: Platform | undefined;
  afterAll(() => platform?.stop());

  it('seeds on first start, keeps writes across a restart, and does not seed twice', async () => {
    platform = await startPlatform({ env });
    const first = await platform.graphql<Count>(COUNT);
    expect(first.body.data!.users.edges).toHaveLength(10);
    expect(first.body.data!.products.edges).toHaveLength(5);

    const created = await platform.graphql<{ createUser: { id: string } }>(
      `mutation { createUser(input: { username: "persist.me", name: "Persist", email: "persist@example.com" }) { id } }`,
      {},
      { token: await testToken({ sub: 'embedded-admin', scopes: ['users:write'] }) },
    );
    const id = created.body.data!.createUser.id;
    const topBefore = await platform.graphql(`{ topProducts(first: 2) { sku reviewCount } }`);
    // SIGTERM drains and closes cleanly: every service exits 0.
    expect(await platform.stop()).toEqual({ users: 0, products: 0, reviews: 0, gateway: 0 });

    platform = await startPlatform({ env });
    const after = await platform.graphql<{ user: { username: string } }>(`query ($id: ID!) { user(id: $id) { username } }`, { id });
    expect(after.body.data!.user).toEqual({ username: 'persist.me' });
    expect((await platform.graphql<Count>(COUNT)).body.data!.users.edges).toHaveLength(11);
    expect((await platform.graphql(`{ topProducts(first: 2) { sku reviewCount } }`)).body).toEqual(topBefore.body);
  }, 180_000);
});
