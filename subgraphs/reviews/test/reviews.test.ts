import { randomUUID } from 'node:crypto';
import { seededId } from '@tessera/seed-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  characterLimitHolds,
  createSubgraphHarness,
  unstorableInEveryTextField,
  startEntityOwner,
  type EntityOwner,
  type SubgraphHarness,
} from '@tessera/test-helpers';
import { reviewsSubgraph, type ReviewsDb } from '../src/index.js';

const CREATE = /* GraphQL */ `
  mutation ($input: CreateReviewInput!) {
    createReview(input: $input) {
      id
      rating
      body
      author {
        id
      }
      product {
        id
      }
    }
  }
`;
const productId = randomUUID();
const authorId = randomUUID();

interface Review {
  id: string;
  rating: number;
  body: string;
  author: { id: string };
  product: { id: string };
}
/** A page of a connection, as far as the queries below select it. */
interface Connection<Node> {
  edges: Array<{ node: Node }>;
  pageInfo?: { hasNextPage?: boolean; endCursor?: string | null };
}
/** `_entities` of Product or User representations, with what the reviews subgraph adds to them. */
interface Entities<Node> {
  _entities: Array<{ reviewCount?: number; averageRating?: number | null; reviews: Connection<Node> } | null>;
}

/** A result as these tests read it; `TData` is what the operation selects. */
interface Result<TData> {
  data?: TData | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string } & Record<string, unknown> }>;
  extensions?: Record<string, unknown>;
}

let subgraph: SubgraphHarness<ReviewsDb>;
let owners: { users: EntityOwner; products: EntityOwner };
beforeAll(async () => {
  // The users and products subgraphs, as far as "does this id exist?" goes.
  owners = { users: await startEntityOwner({ User: [authorId] }), products: await startEntityOwner({ Product: [productId] }) };
  subgraph = await createSubgraphHarness(reviewsSubgraph, {
    env: { SUBGRAPH_USERS_URL: owners.users.url, SUBGRAPH_PRODUCTS_URL: owners.products.url },
    identity: { sub: authorId, scopes: new Set() },
  });
}, 60_000);
afterAll(async () => {
  await subgraph?.close();
  await owners?.users.close();
  await owners?.products.close();
});

/** Runs an operation on the subgraph, its result typed as `TData`. */
const run = <TData = Record<string, unknown>>(...args: Parameters<SubgraphHarness<ReviewsDb>['execute']>) =>
  subgraph.execute(...args) as Promise<Result<TData>>;

describe('createReview', () => {
  it('stores a review pointing at the product and author by id', async () => {
    const { data, errors } = await run<{ createReview: Review }>(CREATE, { input: { productId, authorId, rating: 4, body: ' Good. ' } });
    expect(errors).toBeUndefined();
    expect(data?.createReview).toMatchObject({ rating: 4, body: 'Good.', author: { id: authorId }, product: { id: productId } });
  });

  it.each([
    ['rating', { rating: 0 }],
    ['rating', { rating: 6 }],
    ['body', { body: '' }],
    ['body', { body: 'x'.repeat(5_001) }],
    ['productId', { productId: 'p1' }],
    ['authorId', { authorId: 'u1' }],
  ])('rejects a bad %s with BAD_USER_INPUT naming the field', async (field, overrides) => {
    const before = await subgraph.client.review.count();
    const { data, errors } = await run(CREATE, { input: { productId, authorId, rating: 3, body: 'ok', ...overrides } });
    expect(data).toBeNull();
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: `input.${field}` });
    expect(await subgraph.client.review.count()).toBe(before);
  });
});

describe('reviewAdded events', () => {
  /** The events recorded on the product's topic so far, in order. */
  const recorded = () =>
    subgraph.client.$queryRaw<Array<{ seq: bigint; payload: Record<string, unknown> }>>`
      SELECT seq, payload FROM events WHERE topic = ${`reviewAdded:${productId}`} ORDER BY seq`;

  it("records the committed review on its product's topic, in the write's transaction; a refused or other write records none", async () => {
    const before = (await recorded()).length;
    const { data } = await run<{ createReview: Review }>(CREATE, { input: { productId, authorId, rating: 5, body: 'Evented.' } });
    const row = await subgraph.client.review.findUniqueOrThrow({ where: { id: data!.createReview.id } });
    await run(CREATE, { input: { productId, authorId, rating: 9, body: 'Refused.' } });
    await run('mutation ($id: ID!) { updateReview(id: $id, input: { rating: 1 }) { id } }', { id: row.id });
    const events = await recorded();
    expect(events).toHaveLength(before + 1);
    // What the Review type's resolvers need, as committed.
    expect(events.at(-1)).toEqual({ seq: BigInt(before + 1), payload: { ...row, createdAt: row.createdAt.toISOString() } });
  });
});

describe('deleteReview', () => {
  it('deletes and returns the review, then reports NOT_FOUND', async () => {
    const review = await subgraph.client.review.create({ data: { productId, authorId, rating: 1, body: 'bad' } });
    const remove = `mutation ($id: ID!) { deleteReview(id: $id) { id rating } }`;
    const first = await run<{ deleteReview: Pick<Review, 'id' | 'rating'> }>(remove, { id: review.id });
    expect(first.data?.deleteReview).toEqual({ id: review.id, rating: 1 });
    expect(await subgraph.client.review.findUnique({ where: { id: review.id } })).toBeNull();
    const again = await run(remove, { id: review.id });
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND' });
    const malformed = await run(remove, { id: 'x' });
    expect(malformed.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('Product and User extensions', () => {
  const product = randomUUID();
  // An author and a product of their own: no other test's review (dated now, whatever today
  // is) can fall among these, so the order below holds on any date.
  const reader = randomUUID();
  beforeAll(async () => {
    // Ids in creation order, as UUIDv7 gives them: later reviews have larger ids.
    for (const [i, rating] of [5, 4, 3, 5].entries()) {
      const id = seededId('review', 1_000_000 + i, 7);
      await subgraph.client.review.create({ data: { id, productId: product, authorId: reader, rating, body: `r${rating}` } });
    }
  });

  it('adds reviews, averageRating and reviewCount to products', async () => {
    const { data, errors } = await run<Entities<Pick<Review, 'rating'>>>(
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Product { reviewCount averageRating reviews(first: 2) { edges { node { rating } } pageInfo { hasNextPage } } } } }`,
      {
        r: [
          { __typename: 'Product', id: product },
          { __typename: 'Product', id: randomUUID() },
        ],
      },
    );
    expect(errors).toBeUndefined();
    expect(data?._entities[0]).toEqual({
      reviewCount: 4,
      averageRating: 4.25,
      reviews: { edges: [{ node: { rating: 5 } }, { node: { rating: 3 } }], pageInfo: { hasNextPage: true } },
    });
    expect(data?._entities[1]).toEqual({ reviewCount: 0, averageRating: null, reviews: { edges: [], pageInfo: { hasNextPage: false } } });
  });

  it("adds a user's reviews, newest first", async () => {
    const { data } = await run<Entities<Pick<Review, 'body'>>>(
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { reviews(first: 100) { edges { node { body } } } } } }`,
      { r: [{ __typename: 'User', id: reader }] },
    );
    const bodies = data?._entities[0]?.reviews.edges.map((e) => e.node.body);
    expect(bodies).toEqual(['r5', 'r3', 'r4', 'r5']);
  });

  it('continues after a cursor whose review was deleted meanwhile', async () => {
    const page = `query ($r: [_Any!]!, $after: String) { _entities(representations: $r) { ... on Product { reviews(first: 2, after: $after) { edges { node { id rating } } pageInfo { endCursor } } } } }`;
    const r = [{ __typename: 'Product', id: product }];
    const first = await run<Entities<Pick<Review, 'id' | 'rating'>>>(page, { r });
    const reviews = first.data?._entities[0]?.reviews;
    const [, last] = reviews?.edges ?? [];
    await subgraph.client.review.delete({ where: { id: last!.node.id } });
    const next = await run<Entities<Pick<Review, 'id' | 'rating'>>>(page, { r, after: reviews?.pageInfo?.endCursor });
    expect(next.errors).toBeUndefined();
    expect(next.data?._entities[0]?.reviews.edges.map((e) => e.node.rating)).toEqual([4, 5]);
  });
});

describe('hostile input', () => {
  it('refuses U+0000 or an unpaired surrogate in any text of createReview, naming the field, writing nothing', async () => {
    await unstorableInEveryTextField({
      execute: (variables) => subgraph.execute(CREATE, variables),
      input: { productId, authorId, rating: 3, body: 'ok' },
      fields: ['body', 'productId', 'authorId'],
      count: () => subgraph.client.review.count(),
    });
  });

  it('counts the body in characters, not UTF-16 units: 5,000 of any kind are taken, 5,001 refused', async () => {
    await characterLimitHolds(
      {
        execute: (variables) => subgraph.execute(CREATE, variables),
        input: () => ({ productId, authorId, rating: 3 }),
        field: 'body',
        limit: 5_000,
      },
      3,
    );
  }, 30_000);

  it('stores ids given in upper case in canonical form, and deletes by an upper-case id', async () => {
    const { data } = await run<{ createReview: Review }>(CREATE, {
      input: { productId: productId.toUpperCase(), authorId: authorId.toUpperCase(), rating: 5, body: 'Case' },
    });
    expect(data?.createReview).toMatchObject({ author: { id: authorId }, product: { id: productId } });
    const stored = await subgraph.client.review.findUniqueOrThrow({ where: { id: data!.createReview.id } });
    expect(stored).toMatchObject({ productId, authorId });
    const removed = await run<{ deleteReview: Pick<Review, 'id'> }>(`mutation ($id: ID!) { deleteReview(id: $id) { id } }`, {
      id: stored.id.toUpperCase(),
    });
    expect(removed.data?.deleteReview).toEqual({ id: stored.id });
  });

  it("pages a product's reviews whether the product id comes in upper or lower case", async () => {
    const query = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Product { reviewCount reviews(first: 50) { edges { node { id } } } } } }`;
    const lower = await run<Entities<Pick<Review, 'id'>>>(query, { r: [{ __typename: 'Product', id: productId }] });
    const upper = await run<Entities<Pick<Review, 'id'>>>(query, { r: [{ __typename: 'Product', id: productId.toUpperCase() }] });
    expect(upper.data).toEqual(lower.data);
    expect(lower.data?._entities[0]?.reviewCount).toBeGreaterThan(0);
  });
});

describe('ownership and referential integrity', () => {
  const stranger = { sub: randomUUID(), scopes: new Set<string>() };
  const moderator = { sub: randomUUID(), scopes: new Set(['reviews:moderate']) };
  const anonymous = { scopes: new Set<string>() };
  const valid = { productId, rating: 4, body: 'Owned' };

  it('writes as the signed-in user: another authorId is FORBIDDEN, none is the caller', async () => {
    const before = await subgraph.client.review.count();
    const impersonation = await run(CREATE, { input: { ...valid, authorId: randomUUID() } });
    expect(impersonation.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'input.authorId' });
    expect(await subgraph.client.review.count()).toBe(before);
    const { data } = await run<{ createReview: Review }>(CREATE, { input: valid });
    expect(data?.createReview.author).toEqual({ id: authorId });
  });

  it('refuses a product or an author its owner does not know, asking the owner with a signed request', async () => {
    const before = await subgraph.client.review.count();
    const noProduct = await run(CREATE, { input: { ...valid, productId: randomUUID() } });
    expect(noProduct.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.productId' });
    const ghost = await run(CREATE, { input: valid }, stranger);
    expect(ghost.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.authorId' });
    expect(await subgraph.client.review.count()).toBe(before);
    expect(owners.products.signatures.length).toBeGreaterThan(0);
    expect(owners.products.signatures.every((signature) => /^kid=test-1;ts=\d+;nonce=[\w-]+;sig=[\w-]+$/.test(signature ?? ''))).toBe(true);
  });

  it('writes nothing when an owner cannot answer, and does not blame the input', async () => {
    const before = await subgraph.client.review.count();
    owners.users.failing = true;
    try {
      const { errors } = await run(CREATE, { input: valid });
      expect(errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(JSON.stringify(errors)).not.toContain('127.0.0.1');
    } finally {
      owners.users.failing = false;
    }
    expect(await subgraph.client.review.count()).toBe(before);
  });

  it('deletes a review for its author or a moderator only; anyone else is FORBIDDEN and nothing is deleted', async () => {
    const remove = `mutation ($id: ID!) { deleteReview(id: $id) { id } }`;
    const mine = await subgraph.client.review.create({ data: { productId, authorId, rating: 2, body: 'mine' } });
    const refused = await run(remove, { id: mine.id }, stranger);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', scope: 'reviews:moderate' });
    expect(await subgraph.client.review.findUnique({ where: { id: mine.id } })).not.toBeNull();
    const anonymousAttempt = await run(remove, { id: mine.id }, anonymous);
    expect(anonymousAttempt.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    type Deleted = { deleteReview: Pick<Review, 'id'> };
    expect((await run<Deleted>(remove, { id: mine.id }, moderator)).data?.deleteReview).toEqual({ id: mine.id });
    const theirs = await subgraph.client.review.create({ data: { productId, authorId, rating: 2, body: 'theirs' } });
    expect((await run<Deleted>(remove, { id: theirs.id })).data?.deleteReview).toEqual({ id: theirs.id });
  });

  it('refuses an anonymous createReview with UNAUTHENTICATED', async () => {
    const { errors } = await run(CREATE, { input: valid }, anonymous);
    expect(errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('updateReview', () => {
  const UPDATE = 'mutation ($id: ID!, $input: UpdateReviewInput!) { updateReview(id: $id, input: $input) { id rating body } }';

  it("lets its author change it, and reports the review, its product and its author's pages as changed", async () => {
    const review = await subgraph.client.review.create({ data: { productId, authorId, rating: 2, body: 'meh' } });
    const { data, errors, extensions } = await run<{ updateReview: Pick<Review, 'id' | 'rating' | 'body'> }>(UPDATE, {
      id: review.id,
      input: { rating: 5, body: ' Great after all. ' },
    });
    expect(errors).toBeUndefined();
    expect(data?.updateReview).toEqual({ id: review.id, rating: 5, body: 'Great after all.' });
    expect(extensions?.cacheInvalidations).toEqual([
      { kind: 'entity', type: 'Review', id: review.id },
      { kind: 'type', type: 'Review' },
      { kind: 'entity', type: 'Product', id: productId },
      { kind: 'type', type: 'Product' },
      { kind: 'entity', type: 'User', id: authorId },
      { kind: 'type', type: 'User' },
    ]);
  });

  it('refuses anyone but its author (a moderator too), an unknown review and bad input, changing nothing', async () => {
    const review = await subgraph.client.review.create({ data: { productId, authorId, rating: 2, body: 'mine' } });
    const attempts = [
      [{ id: review.id, input: { body: 'theirs' } }, { sub: randomUUID(), scopes: new Set<string>() }, 'FORBIDDEN'],
      [{ id: review.id, input: { body: 'moderated' } }, { sub: randomUUID(), scopes: new Set(['reviews:moderate']) }, 'FORBIDDEN'],
      [{ id: randomUUID(), input: { body: 'x' } }, undefined, 'NOT_FOUND'],
      [{ id: review.id, input: { rating: 6 } }, undefined, 'BAD_USER_INPUT'],
      [{ id: review.id, input: {} }, undefined, 'BAD_USER_INPUT'],
      [{ id: review.id, input: { body: 'x' } }, { scopes: new Set<string>() }, 'UNAUTHENTICATED'],
    ] as const;
    for (const [variables, identity, code] of attempts) {
      const { errors } = await run(UPDATE, variables, identity);
      expect(errors?.[0]?.extensions?.code, JSON.stringify(variables)).toBe(code);
    }
    expect(await subgraph.client.review.findUnique({ where: { id: review.id } })).toMatchObject({ rating: 2, body: 'mine' });
  });
});
