/**
 * Idempotency keys in the reviews database (PostgreSQL): stored with the write in one
 * transaction, so concurrent twins write once, a replay writes nothing, a reused key is refused,
 * a failed write stores nothing, and an expired key is a new key.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSubgraphHarness,
  createTestDatabase,
  startEntityOwner,
  type EntityOwner,
  type SubgraphHarness,
  type TestDatabase,
} from '@tessera/test-helpers';
import { reviewsSubgraph, type ReviewsDb } from '../../src/index.js';

const CREATE = 'mutation ($input: CreateReviewInput!) { createReview(input: $input) { id rating createdAt } }';
const DELETE = 'mutation ($id: ID!) { deleteReview(id: $id) { id rating } }';
const productId = randomUUID();
const authorId = randomUUID();
const identity = { sub: authorId, scopes: new Set<string>() };

/** A result as these tests read it; `TData` is what the operation selects. */
interface Result<TData> {
  data?: TData | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string } & Record<string, unknown> }>;
  extensions?: Record<string, unknown>;
}
type Created = { createReview: { id: string; rating: number; createdAt: string } };

let database: TestDatabase;
let subgraph: SubgraphHarness<ReviewsDb>;
let owners: EntityOwner[];
beforeAll(async () => {
  owners = [await startEntityOwner({ User: [authorId] }), await startEntityOwner({ Product: [productId] })];
  database = await createTestDatabase('idempotency');
  subgraph = await createSubgraphHarness(reviewsSubgraph, {
    url: database.url,
    env: { SUBGRAPH_USERS_URL: owners[0]!.url, SUBGRAPH_PRODUCTS_URL: owners[1]!.url },
    identity,
  });
}, 60_000);
afterAll(async () => {
  await subgraph?.close();
  await Promise.all((owners ?? []).map((owner) => owner.close()));
  await database?.drop();
});

/** Runs an operation on the subgraph, its result typed as `TData`. */
const run = <TData = Record<string, unknown>>(...args: Parameters<SubgraphHarness<ReviewsDb>['execute']>) =>
  subgraph.execute(...args) as Promise<Result<TData>>;

const create = (key: string, fingerprint: string, rating = 4) =>
  run<Created>(CREATE, { input: { productId, rating, body: 'Once.' } }, identity, { idempotency: { key, fingerprint } });

describe('createReview with an idempotency key', () => {
  it('writes once for 20 concurrent twins, and every twin gets the same review', async () => {
    const before = await subgraph.client.review.count();
    const results = await Promise.all(Array.from({ length: 20 }, () => create('twins', 'f1')));
    expect(results.flatMap((result) => result.errors ?? [])).toEqual([]);
    expect(new Set(results.map((result) => result.data!.createReview.id)).size).toBe(1);
    expect(await subgraph.client.review.count()).toBe(before + 1);
    // A later retry too, with the very same answer (dates included).
    expect((await create('twins', 'f1')).data).toEqual(results[0]!.data);
  });

  it("records the review's event once: concurrent twins and a later retry record nothing again", async () => {
    const recorded = async () =>
      (
        await subgraph.client.$queryRaw<
          Array<{ n: number }>
        >`SELECT count(*)::int AS n FROM events WHERE topic = ${`reviewAdded:${productId}`}`
      )[0]!.n;
    const before = await recorded();
    const results = await Promise.all(Array.from({ length: 20 }, () => create('evented-twins', 'f1')));
    await create('evented-twins', 'f1');
    expect(new Set(results.map((result) => result.data?.createReview.id)).size).toBe(1);
    expect(await recorded()).toBe(before + 1);
  });

  it('refuses the key with another fingerprint, writing nothing', async () => {
    await create('reused', 'f1');
    const before = await subgraph.client.review.count();
    const { data, errors } = await create('reused', 'f2', 5);
    expect(data).toBeNull();
    expect(errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await subgraph.client.review.count()).toBe(before);
  });

  it('refuses the key on another mutation, or on the same one under an alias, writing nothing', async () => {
    const first = await create('one-operation', 'f1');
    const before = await subgraph.client.review.count();
    const other = await run(DELETE, { id: first.data?.createReview.id }, identity, {
      idempotency: { key: 'one-operation', fingerprint: 'f-delete' },
    });
    expect(other.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const aliased = await run(
      'mutation ($input: CreateReviewInput!) { again: createReview(input: $input) { id } }',
      { input: { productId, rating: 4, body: 'Once.' } },
      identity,
      { idempotency: { key: 'one-operation', fingerprint: 'f-aliased' } },
    );
    expect(aliased.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await subgraph.client.review.count()).toBe(before);
    expect(await subgraph.client.review.findUnique({ where: { id: first.data!.createReview.id } })).not.toBeNull();
  });

  it('writes each root field of one operation once, and replays them all', async () => {
    const TWO = 'mutation ($input: CreateReviewInput!) { a: createReview(input: $input) { id } b: createReview(input: $input) { id } }';
    const send = () =>
      run<{ a: { id: string }; b: { id: string } }>(TWO, { input: { productId, rating: 3, body: 'Twice.' } }, identity, {
        idempotency: { key: 'two-fields', fingerprint: 'f-two' },
      });
    const before = await subgraph.client.review.count();
    const first = await send();
    expect(first.errors).toBeUndefined();
    expect(first.data!.a.id).not.toBe(first.data!.b.id);
    expect(
      await subgraph.execute(TWO, { input: { productId, rating: 3, body: 'Twice.' } }, identity, {
        idempotency: { key: 'two-fields', fingerprint: 'f-two' },
      }),
    ).toEqual(first);
    expect(await send()).toEqual(first);
    expect(await subgraph.client.review.count()).toBe(before + 2);
  });

  it('keeps keys apart per caller', async () => {
    const other = randomUUID();
    const mine = await create('shared-key', 'f1');
    const theirs = await run<Created>(
      CREATE,
      { input: { productId, rating: 4, body: 'Once.' } },
      { sub: other, scopes: new Set() },
      { idempotency: { key: 'shared-key', fingerprint: 'f1' } },
    );
    // Refused for its author (not known to the users owner) — and not answered with my review.
    expect(theirs.data?.createReview?.id).not.toBe(mine.data!.createReview.id);
  });

  it('stores nothing when the write fails, so a retry writes', async () => {
    const failed = await run(CREATE, { input: { productId, rating: 9, body: 'Bad rating.' } }, identity, {
      idempotency: { key: 'failing', fingerprint: 'f1' },
    });
    expect(failed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await subgraph.client.idempotencyKey.count({ where: { key: 'failing' } })).toBe(0);
  });

  it('treats a key older than 24 hours as new', async () => {
    const first = await create('old', 'f1');
    // Aged by the database's own clock, which decides the TTL (not this process's).
    await subgraph.client.$executeRaw`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old'`;
    const again = await create('old', 'f2');
    expect(again.errors).toBeUndefined();
    expect(again.data!.createReview.id).not.toBe(first.data!.createReview.id);
  });
});

describe('deleteReview with an idempotency key', () => {
  it('answers a retry with the deleted review instead of NOT_FOUND', async () => {
    const review = await subgraph.client.review.create({ data: { productId, authorId, rating: 2, body: 'To go.' } });
    const first = await run(DELETE, { id: review.id }, identity, { idempotency: { key: 'delete', fingerprint: 'd1' } });
    const retry = await run(DELETE, { id: review.id }, identity, { idempotency: { key: 'delete', fingerprint: 'd1' } });
    expect(first.data).toEqual({ deleteReview: { id: review.id, rating: 2 } });
    expect(retry).toEqual(first);
  });
});
