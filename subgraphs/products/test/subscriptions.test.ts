/**
 * `productUpdated` as the gateway receives it: the products subgraph started as production
 * starts it (embedded database in memory, events in process), a subscription over server-sent
 * events, and the product after each committed `updateProduct` as one `next` event each.
 */
import { request, type IncomingMessage } from 'node:http';
import { encodeIdentity, signRequest, type Identity } from '@tessera/service-kit';
import { startSubgraph, type RunningSubgraph } from '@tessera/subgraph-kit';
import { TEST_AUTH } from '@tessera/test-helpers';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { loadConfig, productsSubgraph } from '../src/index.js';

const [keyId, secret] = TEST_AUTH.signingKeys.split(/:(.*)/) as [string, string];
const editor: Identity = { sub: '0190a0a0-0000-7000-8000-000000000001', scopes: new Set(['products:write']) };

let subgraph: RunningSubgraph;
let url: string;
beforeAll(async () => {
  subgraph = await startSubgraph(
    productsSubgraph,
    loadConfig({
      NODE_ENV: 'production',
      EMBEDDED_DATABASE: 'true',
      PRODUCTS_DATA_DIR: 'memory://',
      PRODUCTS_PORT: '0',
      PRODUCTS_METRICS_PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      SUBGRAPH_SIGNING_KEYS: TEST_AUTH.signingKeys,
    }),
  );
  url = `http://127.0.0.1:${subgraph.port}/graphql`;
}, 60_000);
afterAll(() => subgraph?.close());

/** Headers the gateway signs a request with, for `identity`. */
function signed(body: string, identity: Identity = editor): Record<string, string> {
  const forwarded = encodeIdentity(identity);
  return {
    'content-type': 'application/json',
    'x-tessera-identity': forwarded,
    'x-tessera-signature': signRequest(
      { method: 'POST', path: '/graphql', body, headers: { 'x-tessera-identity': forwarded } },
      { id: keyId, secret: Buffer.from(secret) },
    ),
  };
}

async function graphql<T>(query: string, variables: Record<string, unknown>): Promise<{ data?: T; errors?: unknown[] }> {
  const body = JSON.stringify({ query, variables });
  return (await (await fetch(url, { method: 'POST', headers: signed(body), body })).json()) as { data?: T; errors?: unknown[] };
}

/** A subscription's events (`event` and `id` and parsed `data`), kept as they come; `ended` once the server ended it. */
async function subscribe(payload: Record<string, unknown>) {
  const body = JSON.stringify(payload);
  const events: Array<{ event?: string; id?: string; data?: unknown }> = [];
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const sent = request(url, { method: 'POST', headers: { ...signed(body), accept: 'text/event-stream' } }, resolve);
    onTestFinished(() => void sent.destroy());
    sent.on('error', reject).end(body);
  });
  // Destroyed when the test ends: the request's 'aborted' is expected.
  response.on('error', () => undefined);
  let buffer = '';
  response.setEncoding('utf8').on('data', (chunk: string) => {
    const blocks = (buffer += chunk).split('\n\n');
    buffer = blocks.pop()!;
    for (const block of blocks) {
      const fields = Object.fromEntries(
        block.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
      );
      if (fields.event)
        events.push({ event: fields.event, id: fields.id, data: fields.data ? (JSON.parse(fields.data) as unknown) : undefined });
    }
  });
  return { events, ended: new Promise<void>((resolve) => response.once('close', () => resolve())) };
}

const UPDATED = 'subscription ($id: ID!) { productUpdated(id: $id) { id name inStock price { amount currency } createdAt } }';
const UPDATE = 'mutation ($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id } }';

describe('productUpdated', () => {
  it('sends the product after each committed update, as id: <seq> / event: next', async () => {
    const created = await graphql<{ createProduct: { id: string; createdAt: string } }>(
      'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id createdAt } }',
      { input: { sku: 'LIVE-1', name: 'Lamp', price: { amount: 1000, currency: 'EUR' } } },
    );
    const { id, createdAt } = created.data!.createProduct;
    const stream = await subscribe({ query: UPDATED, variables: { id }, extensions: { lastEventId: '0' } });
    await graphql(UPDATE, { id, input: { name: 'Desk lamp' } });
    await graphql(UPDATE, { id, input: { name: '', inStock: false } });
    await graphql(UPDATE, { id, input: { inStock: false, price: { amount: 900, currency: 'EUR' } } });
    await vi.waitFor(() => expect(stream.events).toHaveLength(2));
    const product = { id, name: 'Desk lamp', createdAt };
    expect(stream.events).toMatchObject([
      {
        event: 'next',
        id: '1',
        data: { data: { productUpdated: { ...product, inStock: true, price: { amount: 1000, currency: 'EUR' } } } },
      },
      {
        event: 'next',
        id: '2',
        data: { data: { productUpdated: { ...product, inStock: false, price: { amount: 900, currency: 'EUR' } } } },
      },
    ]);
  });

  it('refuses an id that is no product id before any event: one `next` with BAD_USER_INPUT, then `complete`', async () => {
    const stream = await subscribe({ query: UPDATED, variables: { id: 'lamp' } });
    await stream.ended;
    expect(stream.events).toMatchObject([
      { event: 'next', data: { errors: [{ extensions: { code: 'BAD_USER_INPUT', field: 'id' } }] } },
      { event: 'complete' },
    ]);
  });
});
