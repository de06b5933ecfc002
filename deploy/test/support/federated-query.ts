import { testToken } from '@tessera/test-helpers';
import { expect } from 'vitest';

/** A query that needs all three subgraphs: products, their reviews, the reviews' authors. */
export const FEDERATED_QUERY = '{ topProducts(first: 2) { name reviews(first: 1) { edges { node { author { username } } } } } }';

/** What a gateway answers to {@link FEDERATED_QUERY} for a signed-in caller (a failed connection throws). */
export async function askFederated(gatewayPort: number): Promise<{ data?: { topProducts?: unknown[] }; errors?: unknown }> {
  const token = await testToken({ sub: '00000000-0000-4000-8000-000000000001' });
  const response = await fetch(`http://127.0.0.1:${gatewayPort}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: FEDERATED_QUERY }),
  });
  return (await response.json()) as { data?: { topProducts?: unknown[] }; errors?: unknown };
}

/** The gateway on `gatewayPort` answers {@link FEDERATED_QUERY} with data from every subgraph and no error. */
export async function expectFederatedAnswer(gatewayPort: number): Promise<void> {
  const body = await askFederated(gatewayPort);
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  expect(body.data?.topProducts).toHaveLength(2);
}
