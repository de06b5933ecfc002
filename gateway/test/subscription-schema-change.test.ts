import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestGateway, untilOwnPartsReady, type TestGateway } from './support/gateway.js';
import { openAcknowledged, type ProtocolMessage } from './support/ws-client.js';

/**
 * A supergraph update under open subscriptions (development: the gateway recomposes when a
 * subgraph's schema file changes): a subscription whose document the new schema no longer
 * validates ends with SUBSCRIPTION_SCHEMA_CHANGED; one it still validates goes on.
 */
const root = resolve(import.meta.dirname, '../..');
let dir: string;
let gateway: TestGateway;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-schema-change-'));
  for (const name of ['users', 'products', 'reviews']) {
    await cp(join(root, 'subgraphs', name, 'schema.graphql'), join(dir, 'subgraphs', name, 'schema.graphql'));
  }
  await cp(join(root, 'supergraph.yaml'), join(dir, 'supergraph.yaml'));
  gateway = await startTestGateway({ SUPERGRAPH_SOURCE: 'compose', SUPERGRAPH_CONFIG: join(dir, 'supergraph.yaml') });
  await untilOwnPartsReady(gateway);
});

afterAll(async () => {
  await gateway.close();
  await rm(dir, { recursive: true, force: true });
});

it('ends a subscription that reads a field the new supergraph removed, with SUBSCRIPTION_SCHEMA_CHANGED, and keeps the others', async () => {
  const client = await openAcknowledged(gateway.url);
  const subscribe = (id: string, fields: string) =>
    client.send({ id, type: 'subscribe', payload: { query: `subscription { reviewAdded(productId: "p-${id}") { ${fields} } }` } });
  subscribe('reads-rating', 'id rating');
  subscribe('reads-body', 'id body');
  // Both are being served (their subgraph is down here: they wait, resuming): nothing has come back.
  await expect(client.receive(500)).rejects.toThrow(/no message/);

  const reviews = join(dir, 'subgraphs/reviews/schema.graphql');
  const schema = await readFile(reviews, 'utf8');
  const withoutRating = schema.replace('  "Rating from 1 (worst) to 5 (best)."\n  rating: Int!\n', '');
  expect(withoutRating).not.toBe(schema);
  await writeFile(reviews, withoutRating);

  const ended: ProtocolMessage = await client.receive(10_000);
  expect(ended).toMatchObject({ id: 'reads-rating', type: 'next' });
  const { errors } = ended.payload as { errors: Array<{ extensions: { code: string } }> };
  expect(errors.map((error) => error.extensions.code)).toEqual(['SUBSCRIPTION_SCHEMA_CHANGED']);
  expect(await client.receive()).toEqual({ id: 'reads-rating', type: 'complete' });
  // The other one is still served: completing it now is acknowledged by nothing but the socket staying open.
  await expect(client.receive(500)).rejects.toThrow(/no message/);
  client.socket.close();
});
