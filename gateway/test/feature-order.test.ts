/**
 * The order of the gateway's features (server.ts), held by what a client sees: at each point of
 * a request, a refusal that two features could both give comes from the one listed first. Each
 * case would answer otherwise were the two features swapped.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './support/gateway.js';

/** A stand-in for every subgraph: answers two aliased users, and counts what reaches it. */
let subgraph: Server;
let subgraphUrl: string;
const fetched: string[] = [];
beforeAll(async () => {
  subgraph = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      if (request.url !== '/ready') fetched.push(body);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ data: { a: { __typename: 'User', id: 'u1' }, b: { __typename: 'User', id: 'u2' } } }));
    });
  });
  subgraph.listen(0, '127.0.0.1');
  await once(subgraph, 'listening');
  subgraphUrl = `http://127.0.0.1:${(subgraph.address() as { port: number }).port}/graphql`;
});
afterAll(() => new Promise<void>((done) => subgraph.close(() => done())));

let gateway: TestGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  fetched.length = 0;
});

const codeOf = (answer: { body: { errors?: Array<{ extensions?: { code?: string } }> } }) => answer.body.errors?.[0]?.extensions?.code;
/** Fields 15 deep: over a MAX_DEPTH of 8. */
const DEEP = `{ users { edges { node { reviews { edges { node { product { reviews { edges { node { author { reviews { edges { node { id } } } } } } } } } } } } } } }`;
const UNAUTHORIZED_MUTATION = 'mutation { updateProduct(id: "p1", input: { name: "x" }) { id } }';
/** A rate limit counting requests only (1 point each, bytes free, operations 1 each). */
const PER_REQUEST = { RATE_LIMIT_REQUEST_POINTS: '1', RATE_LIMIT_BYTES_PER_POINT: '0', RATE_LIMIT_COST_WEIGHTED: 'false' };

describe('guards: identity, then the rate limit, then the document limits', () => {
  it('refuses a bad token as such, even from a caller out of points', async () => {
    gateway = await startTestGateway({ RATE_LIMIT_POINTS: '1', ...PER_REQUEST }, { subgraphUrl });
    expect((await gateway.post({ query: '{ __typename }' })).status).toBe(200);
    const answer = await gateway.post({ query: '{ __typename }' }, { authorization: 'Bearer not-a-token' });
    expect([answer.status, codeOf(answer)]).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('refuses a caller out of points before looking at the document, and charges a refused document', async () => {
    gateway = await startTestGateway({ RATE_LIMIT_POINTS: '2', MAX_DEPTH: '8', ...PER_REQUEST }, { subgraphUrl });
    // Refused by the document limits, yet each was charged: the third request finds the budget spent.
    expect(codeOf(await gateway.post({ query: DEEP }))).toBe('MAX_DEPTH_LIMIT');
    expect(codeOf(await gateway.post({ query: DEEP }))).toBe('MAX_DEPTH_LIMIT');
    const answer = await gateway.post({ query: DEEP });
    expect([answer.status, codeOf(answer)]).toEqual([429, 'RATE_LIMITED']);
  });
});

describe('admission: operation limits, then the rate limit, then authorization, then idempotency', () => {
  it('refuses an operation over a limit without charging its cost', async () => {
    gateway = await startTestGateway(
      { RATE_LIMIT_POINTS: '5', RATE_LIMIT_REQUEST_POINTS: '1', RATE_LIMIT_BYTES_PER_POINT: '0', COST_MAX: '50' },
      { subgraphUrl },
    );
    const expensive = await gateway.post({ query: '{ users(first: 100) { edges { node { id } } } }' });
    expect([expensive.status, codeOf(expensive)]).toEqual([400, 'COST_ESTIMATED_TOO_EXPENSIVE']);
    // Only its request point was spent: four one-point operations still fit.
    for (let i = 0; i < 4; i += 1) expect((await gateway.post({ query: '{ __typename }' })).status).toBe(200);
    expect((await gateway.post({ query: '{ __typename }' })).status).toBe(429);
  });

  it('charges the cost before authorization looks: a caller out of points is refused for what it asked, authorized or not', async () => {
    // A mutation root field weighs 10 (COST_MUTATION_WEIGHT): more than the 5 points.
    gateway = await startTestGateway(
      { RATE_LIMIT_POINTS: '5', RATE_LIMIT_REQUEST_POINTS: '1', RATE_LIMIT_BYTES_PER_POINT: '0' },
      { subgraphUrl },
    );
    const answer = await gateway.post({ query: UNAUTHORIZED_MUTATION });
    expect([answer.status, codeOf(answer)]).toEqual([429, 'RATE_LIMITED']);
  });

  it('refuses an unauthorized mutation before its idempotency key is looked at', async () => {
    gateway = await startTestGateway({}, { subgraphUrl });
    const answer = await gateway.post({ query: UNAUTHORIZED_MUTATION }, { 'idempotency-key': 'not a valid key' });
    expect([answer.status, codeOf(answer)]).toEqual([401, 'UNAUTHORIZED_FIELD_OR_TYPE']);
    expect(fetched).toHaveLength(0);
  });
});

describe("Apollo's hooks: the error limit after authorization", () => {
  it('bounds the errors authorization adds, counting those left out', async () => {
    gateway = await startTestGateway({ MAX_RESPONSE_ERRORS: '1' }, { subgraphUrl });
    const { status, body } = await gateway.post({ query: '{ a: user(id: "u1") { id email } b: user(id: "u2") { id email } }' });
    expect(status).toBe(200);
    expect(body.data).toEqual({ a: { id: 'u1', email: null }, b: { id: 'u2', email: null } });
    expect(body.errors).toHaveLength(1);
    expect(body.extensions).toEqual({ errorsOmitted: 1 });
  });
});

describe('execution: authorization hands the rest the document that runs', () => {
  it('never sends a subgraph what the caller may not see', async () => {
    gateway = await startTestGateway({}, { subgraphUrl });
    await gateway.post({ query: '{ a: user(id: "u1") { id email } }' });
    expect(fetched).toHaveLength(1);
    expect(fetched[0]).not.toContain('email');
  });
});
