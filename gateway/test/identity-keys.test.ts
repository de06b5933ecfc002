/**
 * Keys that embed who asks are built by one unambiguous encoding (service-kit `composeKey`):
 * callers whose scopes a space-joined key confused (`["products:write", "x"]` and
 * `["products:write x"]`) never share a cached authorization decision, in either order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { testToken } from '@tessera/test-helpers';

const CREATE_PRODUCT = 'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }';
const input = { sku: 'KEY-1', name: 'Key', price: { amount: 1, currency: 'USD' } };

let gateway: TestGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

/** What the gateway decided for the caller: refused by authorization, or let through to the (closed) subgraph. */
async function decision(scp: string[]): Promise<string> {
  const { status, body } = await gateway!.post(
    { query: CREATE_PRODUCT, variables: { input } },
    { authorization: `Bearer ${await testToken({ sub: 'u1', scp })}` },
  );
  const code = body.errors?.[0]?.extensions?.code;
  return code === 'UNAUTHORIZED_FIELD_OR_TYPE' ? `refused ${status}` : `let through (${code})`;
}

describe('the authorization filter cache', () => {
  const entitled = ['products:write', 'x'];
  const lookalike = ['products:write x'];

  it('refuses the lookalike after the entitled caller', async () => {
    gateway = await startTestGateway();
    expect(await decision(entitled)).toBe('let through (SUBREQUEST_HTTP_ERROR)');
    expect(await decision(lookalike)).toBe('refused 403');
  });

  it('lets the entitled caller through after the lookalike was refused', async () => {
    gateway = await startTestGateway();
    expect(await decision(lookalike)).toBe('refused 403');
    expect(await decision(entitled)).toBe('let through (SUBREQUEST_HTTP_ERROR)');
  });
});
