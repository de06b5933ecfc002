/**
 * The cost estimate is an upper bound of what executes. Generated operations (every way an
 * argument can arrive, aliases, fragments, conditions) run through the real gateway on
 * seeded PostgreSQL data; what each one resolved — objects per list, read from its response —
 * is priced with the same weights and must never exceed the estimate the gateway reported.
 * COST_PROPERTY_RUNS operations (150 by default; `pnpm fuzz` runs more).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { getVariableValues, parse, type OperationDefinitionNode } from 'graphql';
import { apiSchemaOf, readCostDirectives, type CostDirectives } from '@tessera/gateway';
import { startPlatformWithDatabases, testToken, type Connection, type PlatformWithDatabases } from '@tessera/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actualCost } from './fuzz/actual-cost.js';
import { generateOperation, type KnownIds } from './fuzz/operations.js';

const RUNS = Number(process.env.COST_PROPERTY_RUNS ?? 150);
const supergraphSdl = await readFile(resolve(import.meta.dirname, '../supergraph.graphql'), 'utf8');
const schema = apiSchemaOf(supergraphSdl);
const directives: CostDirectives = readCostDirectives(supergraphSdl);

let platform: PlatformWithDatabases;
let ids: KnownIds;

beforeAll(async () => {
  platform = await startPlatformWithDatabases('cost', {
    // Enough rows that lists fill up to their defaults (a product has ~25 reviews, a user ~12),
    // and a cost ceiling high enough that every generated operation runs.
    env: { SEED_USERS: '120', SEED_PRODUCTS: '60', SEED_REVIEWS: '1500', COST_IN_EXTENSIONS: 'true', COST_MAX: '10000000' },
  });
  const { body } = await platform.graphql<{
    users: Connection<{ id: string }>;
    products: Connection<{ id: string }>;
    topProducts: Array<{ reviews: Connection<{ id: string }> }>;
  }>(
    '{ users(first: 100) { edges { node { id } } } products(first: 60) { edges { node { id } } } topProducts(first: 3) { reviews(first: 30) { edges { node { id } } } } }',
  );
  ids = {
    User: body.data!.users.edges.map((e) => e.node.id),
    Product: body.data!.products.edges.map((e) => e.node.id),
    Review: body.data!.topProducts.flatMap((p) => p.reviews.edges.map((e) => e.node.id)),
  };
}, 120_000);

afterAll(() => platform?.stop());

describe('cost estimate', () => {
  it(`bounds what executes, for ${RUNS} generated operations`, async () => {
    const reader = await testToken({ sub: 'cost-reader', scopes: ['users:read-email'] });
    const ratios: number[] = [];
    await fc.assert(
      fc.asyncProperty(fc.gen(), async (g) => {
        const { query, variables } = generateOperation(g, schema, ids);
        // A caller who may read every field (User.email included), so every generated field executes.
        const { status, body } = await platform.graphql<Record<string, unknown>, { cost: { estimated: number } }>(query, variables, {
          token: reader,
        });
        expect(status, query).toBe(200);
        expect(body.errors, query).toBeUndefined();
        const document = parse(query);
        const operation = document.definitions[0] as OperationDefinitionNode;
        const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables).coerced!;
        const estimated = body.extensions!.cost.estimated;
        const actual = actualCost(schema, document, coerced, body.data, directives);
        expect(actual, `${query}\n${JSON.stringify(variables)}`).toBeLessThanOrEqual(estimated);
        ratios.push(estimated === 0 ? 1 : actual / estimated);
      }),
      { numRuns: RUNS },
    );
    const tight = ratios.filter((r) => r === 1).length;
    const median = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!;
    console.log(
      `cost bound: ${ratios.length} generated operations, actual ≤ estimated for all; ${tight} exact, median actual/estimated ${median.toFixed(2)}`,
    );
    expect(ratios).toHaveLength(RUNS);
  }, 600_000);
});
