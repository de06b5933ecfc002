/**
 * With introspection off (production), no subgraph answer suggests a name of its schema —
 * graphql-js's "Did you mean …?" would let a client rebuild it name by name. Generated
 * misspellings of every field, argument, input field and enum value (test-helpers
 * `misspeltNames`), against each subgraph built as in production. The gateway's own test is in
 * gateway/test/client-input.test.ts.
 */
import { buildSubgraphSchema } from '@apollo/subgraph';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubgraphHarness, misspeltNames, type SubgraphHarness } from '@tessera/test-helpers';
import { productsSubgraph } from '@tessera/products';
import { reviewsSubgraph } from '@tessera/reviews';
import { usersSubgraph } from '@tessera/users';

describe.each([
  ['users', usersSubgraph],
  ['products', productsSubgraph],
  ['reviews', reviewsSubgraph],
] as const)('the %s subgraph in production', (_name, definition) => {
  let subgraph: SubgraphHarness<unknown>;
  beforeAll(async () => {
    subgraph = await createSubgraphHarness(definition as never, { env: { NODE_ENV: 'production' } });
  });
  afterAll(() => subgraph?.close());

  it('answers generated misspellings of every name with an error that suggests none', async () => {
    const schema = buildSubgraphSchema({ typeDefs: definition.typeDefs });
    await fc.assert(
      fc.asyncProperty(misspeltNames(schema), async (probe) => {
        const result = await subgraph.execute(probe.query, probe.variables);
        expect(result.errors?.length, JSON.stringify(probe)).toBeGreaterThan(0);
        expect(JSON.stringify(result), JSON.stringify(probe)).not.toMatch(/did you mean/i);
      }),
      { numRuns: 200 },
    );
  });
});
