import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { composeSupergraph, CompositionError, loadSupergraphConfig } from '../src/index.js';
import { startTestGateway as startGateway, type TestGateway } from './support/gateway.js';

const root = resolve(import.meta.dirname, '../..');

/** The answer to `{ __type(name: …) { fields { name } } }`. */
type TypeFields = { __type: { fields: Array<{ name: string }> } };

describe('composition', () => {
  it('the committed supergraph.graphql is what supergraph.yaml composes to (run `pnpm compose`)', async () => {
    const composed = await composeSupergraph(await loadSupergraphConfig(join(root, 'supergraph.yaml')));
    expect(`${composed}\n`).toBe(await readFile(join(root, 'supergraph.graphql'), 'utf8'));
  });

  it('reports composition errors with their codes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-compose-'));
    try {
      await cp(join(root, 'subgraphs'), join(dir, 'subgraphs'), { recursive: true, filter: (p) => !p.includes('node_modules') });
      // Two subgraphs disagree on a shared type's field: composition must fail.
      const reviews = join(dir, 'subgraphs/reviews/schema.graphql');
      await writeFile(reviews, (await readFile(reviews, 'utf8')).replace('hasNextPage: Boolean!', 'hasNextPage: String!'));
      await cp(join(root, 'supergraph.yaml'), join(dir, 'supergraph.yaml'));
      const error = await composeSupergraph(await loadSupergraphConfig(join(dir, 'supergraph.yaml'))).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CompositionError);
      const { message } = error as CompositionError;
      expect(message).toMatch(/FIELD_TYPE_MISMATCH/);
      expect(message).toContain('PageInfo.hasNextPage');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('production mode', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway({ NODE_ENV: 'production' });
  });
  afterAll(() => gateway.server.close());

  it('refuses introspection', async () => {
    const { status, body } = await gateway.post({ query: '{ __schema { types { name } } }' });
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(body.errors?.[0]?.message).toMatch(/introspection/i);
  });

  it('serves no landing page', async () => {
    const response = await fetch(`${gateway.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await response.text()).not.toMatch(/sandbox/i);
  });

  it('blocks simple GET requests that could be CSRF', async () => {
    const response = await fetch(`${gateway.url}/graphql?query=${encodeURIComponent('{ __typename }')}`);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/CSRF/i);
  });

  it('stays ready while no subgraph is reachable (their fields fail, not the replica); their state is in the internal view', async () => {
    expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
    const ready = await fetch(`${gateway.url}/ready`);
    expect(ready.status).toBe(200);
    await expect
      .poll(async () => (await fetch(`${gateway.metricsUrl}/health/details`)).json() as Promise<unknown>)
      .toMatchObject({
        subgraphs: { users: { up: false, reason: 'unreachable' }, products: { up: false }, reviews: { up: false } },
      });
    expect(await (await fetch(`${gateway.metricsUrl}/metrics`)).text()).toContain('subgraph_up{subgraph="users",service="gateway"} 0');
  });
});

describe('development mode', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway({ NODE_ENV: 'development', SUPERGRAPH_SOURCE: 'compose' });
  });
  afterAll(() => gateway.server.close());

  it('serves Apollo Sandbox and allows introspection', async () => {
    const page = await fetch(`${gateway.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await page.text()).toMatch(/embeddable-sandbox|sandbox/i);
    const { body } = await gateway.post<TypeFields>({ query: '{ __type(name: "Review") { fields { name } } }' });
    expect(body.data?.__type.fields.map((f) => f.name)).toEqual(expect.arrayContaining(['rating', 'author', 'product']));
  });

  it("lets Sandbox's full introspection query through the operation limits", async () => {
    const { body } = await gateway.post<{ __schema: { types: Array<{ name: string }> } }, { cost: { estimated: number; max: number } }>({
      query: getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }),
    });
    expect(body.errors).toBeUndefined();
    expect(body.data?.__schema.types.map((t) => t.name)).toContain('Review');
    expect(body.extensions?.cost.estimated).toBeLessThan(body.extensions!.cost.max);
  });

  it('keeps automatic persisted queries in memory when no Redis is configured', async () => {
    const query = '{ __typename }';
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const send = async (body: object) => (await gateway.post(body)).body;
    const extensions = { persistedQuery: { version: 1, sha256Hash } };
    expect((await send({ extensions })).errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await send({ query, extensions })).data).toEqual({ __typename: 'Query' });
    expect((await send({ extensions })).data).toEqual({ __typename: 'Query' });
  });

  it('answers a subgraph outage with partial data and a named error, not a crash', async () => {
    const { body } = await gateway.post({ query: '{ topProducts { name } }' });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'SUBREQUEST_HTTP_ERROR', service: 'products' });
    expect(body.errors?.[0]?.extensions?.stacktrace).toBeUndefined();
  });
});

describe('live recomposition in development', () => {
  let dir: string;
  let gateway: TestGateway;
  const productsSchema = () => join(dir, 'subgraphs/products/schema.graphql');
  const productFields = async () => {
    const { body } = await gateway.post<TypeFields>({ query: '{ __type(name: "Product") { fields { name } } }' });
    return body.data!.__type.fields.map((f) => f.name);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-recompose-'));
    for (const name of ['users', 'products', 'reviews']) {
      await cp(join(root, `subgraphs/${name}/schema.graphql`), join(dir, `subgraphs/${name}/schema.graphql`));
    }
    await cp(join(root, 'supergraph.yaml'), join(dir, 'supergraph.yaml'));
    gateway = await startGateway({
      NODE_ENV: 'development',
      SUPERGRAPH_SOURCE: 'compose',
      SUPERGRAPH_CONFIG: join(dir, 'supergraph.yaml'),
    });
  });
  afterAll(async () => {
    await gateway.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves a field added to a subgraph schema without a restart', async () => {
    expect(await productFields()).not.toContain('weightGrams');
    const sdl = await readFile(productsSchema(), 'utf8');
    await writeFile(productsSchema(), sdl.replace('  inStock: Boolean!', '  inStock: Boolean!\n  "Weight in grams."\n  weightGrams: Int'));
    await expect.poll(productFields, { timeout: 10_000 }).toContain('weightGrams');
  });

  it('keeps serving the last good supergraph when a change does not compose', async () => {
    const sdl = await readFile(productsSchema(), 'utf8');
    await writeFile(
      productsSchema(),
      sdl.replace('hasNextPage: Boolean!', 'hasNextPage: String!').replace('  weightGrams: Int', '  weightKg: Int'),
    );
    // Wait for the watcher to have tried: the failed recomposition is logged.
    await vi.waitFor(
      () => expect(gateway.logs().map((l) => l.msg)).toContain('recomposition failed: still serving the previous supergraph'),
      {
        timeout: 10_000,
      },
    );
    const fields = await productFields();
    expect(fields).toContain('weightGrams');
    expect(fields).not.toContain('weightKg');
  });
});

describe('CORS', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway({ NODE_ENV: 'production', CORS_ORIGINS: 'https://app.example.com' });
  });
  afterAll(() => gateway.server.close());

  it('allows configured origins only', async () => {
    const preflight = (origin: string) =>
      fetch(`${gateway.url}/graphql`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    expect((await preflight('https://app.example.com')).headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect((await preflight('https://evil.example.com')).headers.get('access-control-allow-origin')).toBeNull();
  });
});
