import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './support/gateway.js';

/** The `extensions` of an answer under COST_IN_EXTENSIONS. */
type CostExtensions = { cost: { estimated: number; max: number } };

/** A stand-in subgraph (the gateway is what is under test): counts calls, answers empty data. */
let calls = 0;
let subgraph: Server;
let subgraphUrl: string;
beforeAll(async () => {
  subgraph = createServer((request, response) => {
    // Operations only: the gateway's background health checks ask for /ready.
    if (request.url !== '/ready') calls++;
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ data: { users: { edges: [] } } }));
    });
  });
  subgraph.listen(0, '127.0.0.1');
  await once(subgraph, 'listening');
  subgraphUrl = `http://127.0.0.1:${(subgraph.address() as { port: number }).port}/graphql`;
});
afterAll(() => new Promise<void>((done) => subgraph.close(() => done())));

const BOMB = `{ users(first: 100) { edges { node { reviews(first: 100) { edges { node { product { reviews(first: 100) { edges { node { id } } } } } } } } } } }`;

async function startGateway(env: Record<string, string>) {
  return startTestGateway(env, { subgraphUrl });
}

describe('limits plugin', () => {
  let gateway: TestGateway | undefined;
  afterEach(async () => {
    await gateway?.close();
    calls = 0;
  });

  it('enforce mode rejects before any subgraph call', async () => {
    gateway = await startGateway({});
    const { status, body } = await gateway.post({ query: BOMB });
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions?.code).toBe('COST_ESTIMATED_TOO_EXPENSIVE');
    expect(calls).toBe(0);
  });

  it('measure-only mode serves the operation and logs what it would have rejected', async () => {
    gateway = await startGateway({ LIMITS_MODE: 'measure' });
    const { status, body } = await gateway.post({ query: BOMB });
    expect(status).toBe(200);
    expect(body).toEqual({ data: { users: { edges: [] } } });
    expect(calls).toBe(1);
    const warning = gateway.logs().find((l) => l.code === 'COST_ESTIMATED_TOO_EXPENSIVE');
    expect(warning).toMatchObject({ level: 40, msg: expect.stringContaining('measure-only') as string });
  });

  it('uses the request variables', async () => {
    gateway = await startGateway({ COST_IN_EXTENSIONS: 'true', COST_MAX: '500' });
    const query = `query ($n: Int) { users(first: $n) { edges { node { id } } } }`;
    const small = await gateway.post<unknown, CostExtensions>({ query, variables: { n: 10 } });
    expect(small.body.extensions?.cost).toEqual({ estimated: 21, max: 500 });
    const large = await gateway.post({ query, variables: { n: 300 } });
    expect(large.body.errors?.[0]?.extensions).toMatchObject({ code: 'COST_ESTIMATED_TOO_EXPENSIVE', cost: { estimated: 601, max: 500 } });
  });

  it("estimates with the values that execute: the operation's variable defaults", async () => {
    gateway = await startGateway({ COST_IN_EXTENSIONS: 'true' });
    // Sent with no variables it runs with first: 100 at both levels, as with {"n": 100}.
    const query = `query Two($n: Int = 100) { users(first: $n) { edges { node { reviews(first: $n) { edges { node { id product { name } } } } } } } }`;
    for (const variables of [{}, { n: 100 }]) {
      const { status, body } = await gateway.post({ query, variables });
      expect(status).toBe(400);
      expect(body.errors?.[0]?.extensions).toMatchObject({
        code: 'COST_ESTIMATED_TOO_EXPENSIVE',
        cost: { estimated: 30_301, max: 10_000 },
      });
    }
    expect(calls).toBe(0);
  });

  it('counts a slicing argument left out or null as its schema default (what the resolver returns), each in a cache entry of its own', async () => {
    const started = (gateway = await startGateway({ COST_IN_EXTENSIONS: 'true' }));
    const query = `query ($n: Int) { users(first: $n) { edges { node { id } } } }`;
    // users 1 + 20 × (edge 1 + node 1): the resolver's page for first left out or null is 20.
    const estimated = async (request: { query: string; variables: Record<string, unknown> }) =>
      (await started.post<unknown, CostExtensions>(request)).body.extensions?.cost.estimated;
    const estimates = [];
    for (const variables of [{ n: null }, {}, { n: 5 }, { n: null }]) estimates.push(await estimated({ query, variables }));
    expect(estimates).toEqual([41, 41, 11, 41]);
    const defaulted = `query ($n: Int = 7) { users(first: $n) { edges { node { id } } } }`;
    expect(await estimated({ query: defaulted, variables: {} })).toBe(15);
    expect(await estimated({ query: defaulted, variables: { n: null } })).toBe(41);
  });

  it('caps HTTP batches when batching is enabled', async () => {
    gateway = await startGateway({ MAX_BATCH_OPERATIONS: '3' });
    const op = { query: '{ users(first: 1) { edges { node { id } } } }' };
    const ok = await gateway.post([op, op, op]);
    expect(ok.status).toBe(200);
    expect(ok.body).toHaveLength(3);
    const flood = await gateway.post([op, op, op, op]);
    expect(flood.status).toBe(400);
    expect(flood.body.errors?.[0]?.extensions).toMatchObject({ code: 'BATCH_LIMIT_EXCEEDED', batch: { measured: 4, max: 3 } });
  });
});
