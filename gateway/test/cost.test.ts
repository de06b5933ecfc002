import { join, resolve } from 'node:path';
import { buildSchema, getIntrospectionQuery, parse, type GraphQLSchema } from 'graphql';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkShape,
  costRelevantVariables,
  estimateCost,
  measureOperation,
  readCostDirectives,
  type CostDirectives,
} from '../src/features/limits/index.js';
import { apiSchemaOf, composeSupergraph, loadSupergraphConfig } from '../src/supergraph/index.js';

const root = resolve(import.meta.dirname, '../..');

/** Tessera's own API schema and cost directives, composed in memory from the subgraph files. */
let api: GraphQLSchema;
let directives: CostDirectives;
beforeAll(async () => {
  const supergraphSdl = await composeSupergraph(await loadSupergraphConfig(join(root, 'supergraph.yaml')));
  api = apiSchemaOf(supergraphSdl);
  directives = readCostDirectives(supergraphSdl);
});

const cost = (query: string, variables?: Record<string, unknown>) => estimateCost(api, parse(query), directives, { variables });

describe('cost directives in the composed supergraph', () => {
  it('keep @listSize and @cost from the subgraph schemas', () => {
    expect(directives.listSizes.get('Query.users')).toEqual({
      slicingArguments: ['first'],
      sizedFields: ['edges'],
      requireOneSlicingArgument: true,
    });
    expect(directives.listSizes.get('Product.reviews')?.sizedFields).toEqual(['edges']);
    expect(directives.fieldWeights.get('Product.averageRating')).toBe(2);
  });
});

describe('cost model on the Tessera graph', () => {
  it('scalars and __typename cost 0', () => {
    expect(cost('{ __typename }')).toBe(0);
  });

  it('a composite field costs 1, its scalars 0', () => {
    expect(cost('{ product(id: "x") { name sku price { amount } } }')).toBe(2);
  });

  it('a list multiplies by its slicing argument, its default, or a variable', () => {
    expect(cost('{ topProducts(first: 7) { name } }')).toBe(7);
    expect(cost('{ topProducts { name } }')).toBe(5);
    expect(cost('query ($n: Int) { topProducts(first: $n) { name } }', { n: 30 })).toBe(30);
  });

  it('a connection sizes its edges by first (@listSize sizedFields)', () => {
    // users 1 + 50 × (edge 1 + node 1) + pageInfo 1
    expect(cost('{ users(first: 50) { edges { node { id } } pageInfo { hasNextPage } } }')).toBe(102);
    // default first = 20 from the schema
    expect(cost('{ users { edges { node { id } } } }')).toBe(41);
  });

  it('nested lists multiply', () => {
    // products 1 + 10 × (edge 1 + node 1 + reviews 1 + 5 × (edge 1 + node 1 + author 1))
    expect(cost('{ products(first: 10) { edges { node { reviews(first: 5) { edges { node { author { username } } } } } } } }')).toBe(
      1 + 10 * (1 + 1 + 1 + 5 * 3),
    );
  });

  it('@cost(weight:) replaces the default weight', () => {
    expect(cost('{ product(id: "x") { averageRating reviewCount } }')).toBe(1 + 2 + 2);
  });

  it('a mutation root field has a higher base', () => {
    expect(cost('mutation { createUser(input: { username: "a_b", name: "A", email: "a@b.co" }) { id } }')).toBe(10);
    expect(estimateCost(api, parse('mutation { deleteReview(id: "x") { id } }'), directives, { options: { mutationWeight: 25 } })).toBe(25);
  });

  it('fragments and inline fragments cost what they select, skipped fields nothing', () => {
    const inline = cost('{ topProducts(first: 3) { name reviews(first: 2) { edges { node { id } } } } }');
    expect(
      cost(
        '{ topProducts(first: 3) { ...P } } fragment P on Product { name ... on Product { reviews(first: 2) { edges { node { id } } } } }',
      ),
    ).toBe(inline);
    expect(
      cost('query ($no: Boolean!) { topProducts(first: 3) { name reviews(first: 2) @include(if: $no) { edges { node { id } } } } }', {
        no: false,
      }),
    ).toBe(3);
  });
});

describe('cost-relevant variables', () => {
  it('are those passed to slicing arguments or skip/include, not cursors or ids', () => {
    const document = parse(`query ($n: Int, $after: String, $id: ID!, $withReviews: Boolean!, $m: Int) {
      users(first: $n, after: $after) { edges { node { id } } }
      product(id: $id) { reviews(first: $m) @include(if: $withReviews) { edges { node { id } } } }
    }`);
    expect(costRelevantVariables(document, directives)).toEqual(['m', 'n', 'withReviews']);
  });
});

describe('cost model rules on interfaces, unions and type weights', () => {
  const schema = buildSchema(`
    directive @cost(weight: Int!) on FIELD_DEFINITION | OBJECT
    directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
    interface Node { id: ID! }
    type Cheap implements Node { id: ID! label: String }
    type Pricey implements Node @cost(weight: 7) { id: ID! friends: [Pricey!]! @listSize(assumedSize: 3) }
    union Hit = Cheap | Pricey
    type Query {
      node: Node
      search(limit: Int): [Hit!]!
      everything: [Cheap!]!
    }
  `);
  const sdlDirectives = readCostDirectives(`
    type Pricey @cost(weight: 7) { friends: [Pricey!]! @listSize(assumedSize: 3) }
  `);
  const ruleCost = (query: string, defaultListSize?: number) =>
    estimateCost(schema, parse(query), sdlDirectives, { options: { defaultListSize } });

  it('takes the most expensive branch of an interface or union', () => {
    expect(ruleCost('{ node { id ... on Pricey { id } } }')).toBe(1);
    expect(ruleCost('{ search(limit: 4) { ... on Cheap { label } ... on Pricey { friends { id } } } }')).toBe(4 * (1 + 3 * 7));
  });

  it('uses assumedSize, else the default list size', () => {
    expect(ruleCost('{ everything { id } }')).toBe(10);
    expect(ruleCost('{ everything { id } }', 2)).toBe(2);
  });
});

describe('operation shape', () => {
  it('measures depth without introspection subtrees, and aliases', () => {
    const shape = measureOperation(
      parse('{ a: topProducts { b: reviews { edges { node { author { username } } } } } __schema { types { name } } }'),
    );
    expect(shape).toMatchObject({ depth: 6, aliases: 2, schemaFields: 1 });
  });

  it('measures a fragment bomb without expanding it', () => {
    const levels = 40;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i === levels - 1 ? `fragment F${i} on Query { __typename }` : `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`,
    );
    // 2^39 fields (and their spreads, 3·2^39 − 1 selections in all): expanding them would
    // never finish, so getting the count at all shows each fragment is measured once.
    const shape = measureOperation(parse(`{ ...F0 } ${fragments.join(' ')}`));
    expect(shape.nodes).toBe(3 * 2 ** (levels - 1) - 1);
  });

  it('counts the selections the cost estimator walks, so an operation within MAX_QUERY_NODES is one it can estimate', () => {
    const fanOut = fc.record({
      levels: fc.integer({ min: 1, max: 10 }),
      spreads: fc.integer({ min: 1, max: 3 }),
      inline: fc.boolean(),
      leaf: fc.constantFrom('__typename', 'topProducts(first: 1) { id }', 'users(first: 1) { edges { node { id email } } }'),
    });
    fc.assert(
      fc.property(fanOut, ({ levels, spreads, inline, leaf }) => {
        const fragments = Array.from({ length: levels }, (_, i) => {
          if (i === levels - 1) return `fragment F${i} on Query { ${leaf} }`;
          const spread = Array.from({ length: spreads }, () => `...F${i + 1}`).join(' ');
          return `fragment F${i} on Query { ${inline ? `... on Query { ${spread} }` : spread} }`;
        });
        const document = parse(`{ ...F0 } ${fragments.join(' ')}`);
        const { nodes } = measureOperation(document);
        fc.pre(nodes < 20_000);
        // The limits plugin lets the estimator walk MAX_QUERY_NODES + 1: never more than measured.
        expect(() => estimateCost(api, document, directives, { options: { maxNodes: nodes + 1 } })).not.toThrow();
        expect(() => estimateCost(api, document, directives, { options: { maxNodes: nodes } })).toThrow(
          expect.objectContaining({ extensions: expect.objectContaining({ code: 'MAX_NODES_LIMIT' }) as Record<string, unknown> }),
        );
      }),
      { numRuns: 300 },
    );
  });

  it("lets graphql-js's own introspection query (what Sandbox sends) through the shape limits", () => {
    const shape = measureOperation(parse(getIntrospectionQuery()));
    expect(checkShape(shape, { maxDepth: 15, maxAliases: 30, maxNodes: 10_000, maxSchemaFields: 1, maxOfTypeDepth: 10 })).toBeNull();
    expect(estimateCost(api, parse(getIntrospectionQuery()), directives, {})).toBeLessThan(1_000);
  });

  it('rejects a deep ofType chain and a repeated __schema with INTROSPECTION_LIMIT', () => {
    const limits = { maxDepth: 15, maxAliases: 30, maxNodes: 10_000, maxSchemaFields: 1, maxOfTypeDepth: 10 };
    const deep = `{ __type(name: "Query") { ${'ofType { '.repeat(12)}name${' }'.repeat(12)} } }`;
    expect(checkShape(measureOperation(parse(deep)), limits)?.extensions).toMatchObject({
      code: 'INTROSPECTION_LIMIT',
      introspection: { ofTypeDepth: 12, max: 10 },
    });
    const repeated = '{ a: __schema { queryType { name } } b: __schema { queryType { name } } }';
    expect(checkShape(measureOperation(parse(repeated)), limits)?.extensions?.code).toBe('INTROSPECTION_LIMIT');
  });
});
