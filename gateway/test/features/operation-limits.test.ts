/**
 * `createOperationLimits` and `createDocumentLimits` alone, on a gateway of just those features:
 * what each refuses, when, with what, and what they tell the features after them.
 */
import fc from 'fast-check';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createDocumentLimits, createOperationLimits, OPERATION_LIMITS_DEFAULTS } from '../../src/features/limits/index.js';
import type { GatewayContext, GatewayFeature } from '../../src/pipeline/index.js';
import { startFeatureServer, type FeatureServer } from './feature-server.js';

const silent = pino({ level: 'silent' });
const USERS = (first: number) => `{ users(first: ${first}) { edges { node { id } } } }`;
/** users 1 + first × (edge 1 + node 1): the cost model's figure for USERS(first). */
const usersCost = (first: number) => 1 + 2 * first;
const DEEP = `{ users { edges { node { reviews { edges { node { product { reviews { edges { node { author { reviews { edges { node { id } } } } } } } } } } } } } } }`;

/** A feature after the limits that notes the cost they estimated for each operation. */
function costReader(costOf: (context: GatewayContext) => number | undefined, seen: Array<number | undefined>): GatewayFeature {
  return { name: 'cost reader', admit: ({ contextValue }) => void seen.push(costOf(contextValue)) };
}

let server: FeatureServer | undefined;
afterEach(() => server?.close());

describe('createOperationLimits', () => {
  it('refuses an operation over maxCost before execution, 400 with the figures, and admits the one just under', async () => {
    const limits = createOperationLimits({ maxCost: usersCost(30), logger: silent });
    server = await startFeatureServer([limits]);
    const over = await server.post({ query: USERS(31) });
    expect(over.status).toBe(400);
    expect(over.body.errors?.[0]?.extensions).toEqual({
      code: 'COST_ESTIMATED_TOO_EXPENSIVE',
      cost: { estimated: usersCost(31), max: usersCost(30) },
    });
    expect(server.executed).toHaveLength(0);
    expect((await server.post({ query: USERS(30) })).status).toBe(200);
    expect(server.executed).toHaveLength(1);
  });

  it('estimates with the variables that execute, defaults applied, and hands the features after it that cost', async () => {
    const seen: Array<number | undefined> = [];
    const limits = createOperationLimits({ logger: silent });
    server = await startFeatureServer([limits, costReader(limits.costOf, seen)]);
    const query = 'query ($n: Int = 7) { users(first: $n) { edges { node { id } } } }';
    await server.post({ query, variables: { n: 40 } });
    await server.post({ query });
    expect(seen).toEqual([usersCost(40), usersCost(7)]);
  });

  it('for any first, refuses exactly the operations whose estimate is over maxCost', async () => {
    const limits = createOperationLimits({ maxCost: 101, logger: silent });
    server = await startFeatureServer([limits]);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 100 }), async (first) => {
        const { status, body } = await server!.post({
          query: 'query ($n: Int) { users(first: $n) { edges { node { id } } } }',
          variables: { n: first },
        });
        expect(status).toBe(usersCost(first) > 101 ? 400 : 200);
        if (status === 400) expect(body.errors?.[0]?.extensions?.code).toBe('COST_ESTIMATED_TOO_EXPENSIVE');
      }),
      { numRuns: 40 },
    );
  });

  it('refuses depth, aliases and introspection abuse with their codes', async () => {
    server = await startFeatureServer([createOperationLimits({ maxDepth: 8, maxAliases: 2, logger: silent })]);
    const codeOf = async (query: string) => (await server!.post({ query })).body.errors?.[0]?.extensions?.code;
    expect(await codeOf(DEEP)).toBe('MAX_DEPTH_LIMIT');
    expect(await codeOf('{ a: __typename b: __typename c: __typename }')).toBe('MAX_ALIASES_LIMIT');
    expect(await codeOf('{ __schema { queryType { name } } second: __schema { types { name } } }')).toBe('INTROSPECTION_LIMIT');
  });

  it('in measure mode serves everything, logs what it would refuse, and still reports the cost', async () => {
    const lines: Array<{ msg: string; code?: string }> = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line) as { msg: string; code?: string }) });
    const seen: Array<number | undefined> = [];
    const limits = createOperationLimits({ mode: 'measure', maxCost: 10, logger });
    server = await startFeatureServer([limits, costReader(limits.costOf, seen)]);
    expect((await server.post({ query: USERS(50) })).status).toBe(200);
    expect(seen).toEqual([usersCost(50)]);
    const warning = lines.find((line) => line.code === 'COST_ESTIMATED_TOO_EXPENSIVE');
    expect(warning?.msg).toContain('measure-only');
  });

  it('puts extensions.cost on answers only when told to, and observes every cost', async () => {
    const registry = new Registry();
    server = await startFeatureServer([createOperationLimits({ costInExtensions: true, logger: silent, registry })]);
    expect((await server.post({ query: USERS(3) })).body.extensions).toEqual({
      cost: { estimated: usersCost(3), max: OPERATION_LIMITS_DEFAULTS.maxCost },
    });
    await server.close();
    server = await startFeatureServer([createOperationLimits({ logger: silent })]);
    expect((await server.post({ query: USERS(3) })).body.extensions).toBeUndefined();
    expect(await registry.getSingleMetricAsString('graphql_operation_cost')).toContain('graphql_operation_cost_count 1');
  });
});

describe('createDocumentLimits', () => {
  it('refuses a document over a shape limit before Apollo parses it, counting the refusal by code', async () => {
    const registry = new Registry();
    // The operation limits behind it would let the document through: a refusal can only be the guard's.
    const limits = createOperationLimits({ maxDepth: 100, maxCost: 1e9, logger: silent });
    const seen: Array<number | undefined> = [];
    server = await startFeatureServer([
      createDocumentLimits({ limits: { maxDepth: 8 }, logger: silent, registry }),
      limits,
      costReader(limits.costOf, seen),
    ]);
    const { status, body } = await server.post({ query: DEEP });
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions?.code).toBe('MAX_DEPTH_LIMIT');
    // Refused by the guard: no operation reached admission, so no cost was estimated.
    expect(seen).toEqual([]);
    expect((await server.post({ query: USERS(2) })).status).toBe(200);
    expect(seen).toEqual([usersCost(2)]);
    expect(await registry.getSingleMetricAsString('graphql_requests_refused_before_validation_total')).toContain(
      'code="MAX_DEPTH_LIMIT"} 1',
    );
  });

  it('refuses more same-key field pairs than validation should compare, and leaves what does not parse to Apollo', async () => {
    server = await startFeatureServer([createDocumentLimits({ limits: { maxOverlappingFieldPairs: 100 }, logger: silent })]);
    const repeated = `{ ${Array.from({ length: 20 }, () => 'users { edges { cursor } }').join(' ')} }`;
    const refused = await server.post({ query: repeated });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('MAX_OVERLAPPING_FIELDS_LIMIT');
    const broken = await server.post({ query: '{ users { ' });
    expect(broken.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
  });
});
