import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubgraphHarness, characterLimitHolds, unstorableInEveryTextField, type SubgraphHarness } from '@tessera/test-helpers';
import { productsSubgraph, type ProductsDb } from '../src/index.js';

const CREATE = /* GraphQL */ `
  mutation ($input: CreateProductInput!) {
    createProduct(input: $input) {
      id
      sku
      name
      description
      price {
        amount
        currency
      }
      inStock
      createdAt
    }
  }
`;

interface Product {
  id: string;
  sku: string;
  name: string;
  description: string;
  price: { amount: number; currency: string };
  inStock: boolean;
  createdAt: string;
}
interface Products {
  products: { edges: Array<{ node: Pick<Product, 'sku'> }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

/** A result as these tests read it; `TData` is what the operation selects. */
interface Result<TData> {
  data?: TData | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string } & Record<string, unknown> }>;
  extensions?: Record<string, unknown>;
}

let subgraph: SubgraphHarness<ProductsDb>;
beforeAll(async () => {
  // The catalogue team's tool: may list products.
  subgraph = await createSubgraphHarness(productsSubgraph, { identity: { sub: randomUUID(), scopes: new Set(['products:write']) } });
}, 60_000);
afterAll(() => subgraph?.close());

/** Runs an operation on the subgraph, its result typed as `TData`. */
const run = <TData = Record<string, unknown>>(...args: Parameters<SubgraphHarness<ProductsDb>['execute']>) =>
  subgraph.execute(...args) as Promise<Result<TData>>;

const input = (overrides: Record<string, unknown> = {}) => ({
  sku: 'LAMP-1',
  name: 'Desk lamp',
  description: 'Bright.',
  price: { amount: 2599, currency: 'EUR' },
  ...overrides,
});

describe('createProduct', () => {
  it('creates a product with its price in minor units', async () => {
    const { data, errors } = await run<{ createProduct: Product }>(CREATE, { input: input() });
    expect(errors).toBeUndefined();
    expect(data?.createProduct).toMatchObject({
      sku: 'LAMP-1',
      name: 'Desk lamp',
      description: 'Bright.',
      price: { amount: 2599, currency: 'EUR' },
      inStock: true,
    });
  });

  it.each([
    ['sku', { sku: 'bad sku!' }],
    ['name', { name: '   ' }],
    ['price.amount', { price: { amount: -1, currency: 'EUR' } }],
    ['price.currency', { price: { amount: 100, currency: 'euro' } }],
    ['description', { description: 'x'.repeat(5_001) }],
  ])('rejects a bad %s with BAD_USER_INPUT naming the field', async (field, overrides) => {
    const before = await subgraph.client.product.count();
    const { data, errors } = await run(CREATE, { input: input({ sku: 'OK-1', ...overrides }) });
    expect(data).toBeNull();
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: `input.${field}` });
    expect(await subgraph.client.product.count()).toBe(before);
  });

  it('rejects a taken SKU', async () => {
    const { errors } = await run(CREATE, { input: input() });
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.sku' });
  });
});

describe('queries', () => {
  beforeAll(async () => {
    await subgraph.client.product.createMany({
      data: [1, 2, 3, 4].map((i) => ({
        sku: `TOP-${i}`,
        name: `Top ${i}`,
        priceAmount: 100 * i,
        priceCurrency: 'USD',
        unitsSold: 1_000 * i,
      })),
    });
  });

  it('ranks topProducts by units sold', async () => {
    const { data, errors } = await run<{ topProducts: Array<Pick<Product, 'sku'>> }>(`{ topProducts(first: 3) { sku } }`);
    expect(errors).toBeUndefined();
    expect(data?.topProducts).toEqual([{ sku: 'TOP-4' }, { sku: 'TOP-3' }, { sku: 'TOP-2' }]);
  });

  it('caps topProducts at the page-size limit', async () => {
    const { errors } = await run(`{ topProducts(first: 101) { sku } }`);
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  it('pages products with a cursor', async () => {
    const first = await run<Products>(`{ products(first: 2) { edges { node { sku } } pageInfo { hasNextPage endCursor } } }`);
    expect(first.data?.products.edges).toHaveLength(2);
    expect(first.data?.products.pageInfo.hasNextPage).toBe(true);
    const rest = await run<Products>(
      `query ($after: String) { products(first: 100, after: $after) { edges { node { sku } } pageInfo { hasNextPage } } }`,
      {
        after: first.data?.products.pageInfo.endCursor,
      },
    );
    expect(rest.data?.products.edges).toHaveLength((await subgraph.client.product.count()) - 2);
    expect(rest.data?.products.pageInfo.hasNextPage).toBe(false);
  });

  it('resolves entities by id and by sku', async () => {
    const lamp = await subgraph.client.product.findUniqueOrThrow({ where: { sku: 'LAMP-1' } });
    const { data, errors } = await run<{ _entities: Array<Pick<Product, 'id' | 'sku'> | null> }>(
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id sku price { amount } } } }`,
      {
        r: [
          { __typename: 'Product', sku: 'TOP-1' },
          { __typename: 'Product', id: lamp.id },
          { __typename: 'Product', sku: 'NOPE' },
        ],
      },
    );
    expect(errors?.map((e) => [e.path, e.extensions?.code, e.message])).toEqual([
      [['_entities', 2], 'NOT_FOUND', 'No Product has sku "NOPE".'],
    ]);
    expect(data?._entities[0]).toMatchObject({ sku: 'TOP-1', price: { amount: 100 } });
    expect(data?._entities[1]).toEqual({ id: lamp.id, sku: 'LAMP-1', price: { amount: 2599 } });
    expect(data?._entities[2]).toBeNull();
  });
});

describe('hostile input', () => {
  it('refuses U+0000 or an unpaired surrogate in any text of createProduct, naming the field, writing nothing', async () => {
    await unstorableInEveryTextField({
      execute: (variables) => subgraph.execute(CREATE, variables),
      input: input({ sku: 'NUL-PROBE' }),
      fields: ['sku', 'name', 'description', 'price.currency'],
      count: () => subgraph.client.product.count(),
    });
  });

  it('counts names and descriptions in characters, not UTF-16 units', async () => {
    let n = 0;
    const execute = (variables: { input: Record<string, unknown> }) => subgraph.execute(CREATE, variables);
    await characterLimitHolds({ execute, input: () => input({ sku: `CHARS-${++n}` }), field: 'name', limit: 200 });
    await characterLimitHolds({ execute, input: () => input({ sku: `CHARS-${++n}` }), field: 'description', limit: 5_000 }, 3);
  }, 30_000);

  it('refuses U+0000 in an entity key instead of sending it to the database', async () => {
    const { errors } = await run(`query ($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id } } }`, {
      r: [{ __typename: 'Product', sku: 'LAMP\u00001' }],
    });
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'representations.0.sku' });
  });

  it('finds a product by its id in upper case', async () => {
    const lamp = await subgraph.client.product.findUniqueOrThrow({ where: { sku: 'LAMP-1' } });
    const { data } = await run<{ product: Pick<Product, 'sku'> | null }>(`query ($id: ID!) { product(id: $id) { sku } }`, {
      id: lamp.id.toUpperCase(),
    });
    expect(data?.product).toEqual({ sku: 'LAMP-1' });
  });
});

describe('authorization in the subgraph', () => {
  it('lists a product only with products:write', async () => {
    const before = await subgraph.client.product.count();
    const { errors } = await run(CREATE, { input: input({ sku: 'NO-SCOPE' }) }, { sub: randomUUID(), scopes: new Set() });
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', scope: 'products:write' });
    expect(await subgraph.client.product.count()).toBe(before);
  });
});

describe('updateProduct', () => {
  const UPDATE =
    'mutation ($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id name description price { amount currency } inStock } }';
  const listed = async () =>
    (
      await subgraph.client.product.create({
        data: { sku: `UPD-${randomUUID().slice(0, 8)}`, name: 'Old', description: '', priceAmount: 100, priceCurrency: 'USD' },
      })
    ).id;

  it('changes only the fields given, and reports what the write changed for the caches', async () => {
    const id = await listed();
    const { data, errors, extensions } = await run<{ updateProduct: Omit<Product, 'sku' | 'createdAt'> }>(UPDATE, {
      id: id.toUpperCase(),
      input: { price: { amount: 250, currency: 'EUR' } },
    });
    expect(errors).toBeUndefined();
    expect(data?.updateProduct).toEqual({ id, name: 'Old', description: '', price: { amount: 250, currency: 'EUR' }, inStock: true });
    expect(extensions?.cacheInvalidations).toEqual([
      { kind: 'entity', type: 'Product', id },
      { kind: 'type', type: 'Product' },
    ]);
  });

  it("records the product as updated on its topic, in order, in the write's transaction; a refused update records nothing", async () => {
    const id = await listed();
    const recorded = () =>
      subgraph.client.$queryRaw<Array<{ seq: bigint; payload: { name: string; priceAmount: number } }>>`
        SELECT seq, payload FROM events WHERE topic = ${`productUpdated:${id}`} ORDER BY seq`;
    await run(UPDATE, { id, input: { name: 'First' } });
    await run(UPDATE, { id, input: { price: { amount: -1, currency: 'EUR' } } });
    await run(UPDATE, { id, input: { price: { amount: 999, currency: 'EUR' } } });
    expect((await recorded()).map(({ seq, payload }) => [seq, payload.name, payload.priceAmount])).toEqual([
      [1n, 'First', 100],
      [2n, 'First', 999],
    ]);
    // createProduct records none: no subscription follows a product before it exists.
    expect(await subgraph.client.$queryRaw<unknown[]>`SELECT 1 FROM events WHERE topic NOT LIKE 'productUpdated:%'`).toEqual([]);
  });

  it('refuses bad input naming the field, an empty change, an unknown product and a caller without the scope, changing nothing', async () => {
    const id = await listed();
    const refusals = [
      [{ id, input: { name: ' ' } }, 'BAD_USER_INPUT', 'input.name'],
      [{ id, input: { price: { amount: -1, currency: 'EUR' } } }, 'BAD_USER_INPUT', 'input.price.amount'],
      [{ id, input: {} }, 'BAD_USER_INPUT', 'input'],
      [{ id: randomUUID(), input: { name: 'x' } }, 'NOT_FOUND', undefined],
      [{ id: 'nope', input: { name: 'x' } }, 'NOT_FOUND', undefined],
    ] as const;
    for (const [variables, code, field] of refusals) {
      const { errors, extensions } = await run(UPDATE, variables);
      expect(errors?.[0]?.extensions, JSON.stringify(variables)).toMatchObject({ code, ...(field && { field }) });
      expect(extensions?.cacheInvalidations).toBeUndefined();
    }
    const stranger = await run(UPDATE, { id, input: { name: 'Mine' } }, { sub: randomUUID(), scopes: new Set() });
    expect(stranger.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', scope: 'products:write' });
    expect(await subgraph.client.product.findUnique({ where: { id } })).toMatchObject({ name: 'Old', priceAmount: 100 });
  });

  it('refuses U+0000 or an unpaired surrogate in any text it changes', async () => {
    const id = await listed();
    await unstorableInEveryTextField({
      execute: (variables) => subgraph.execute(UPDATE, { id, ...variables }),
      input: { name: 'n', description: 'd', price: { amount: 1, currency: 'USD' } },
      fields: ['name', 'description', 'price.currency'],
      count: async () => ((await subgraph.client.product.findUnique({ where: { id } }))?.name === 'Old' ? 1 : 0),
    });
  });
});
