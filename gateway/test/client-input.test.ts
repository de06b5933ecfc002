/**
 * Whatever a client sends, the gateway answers with a code and a 4xx — or 200 with `errors`
 * under the legacy media type — never a 5xx, in every limits mode, whether or not it has
 * seen the document before. Values are generated, not picked.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { misspeltNames } from '@tessera/test-helpers';
import { apiSchemaOf, composeSupergraph, loadSupergraphConfig } from '../src/supergraph/index.js';
import { startTestGateway, type GraphQLResponse, type TestGateway } from './support/gateway.js';

let subgraph: Server;
let subgraphUrl: string;
beforeAll(async () => {
  subgraph = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{}}'));
  });
  subgraph.listen(0, '127.0.0.1');
  await once(subgraph, 'listening');
  subgraphUrl = `http://127.0.0.1:${(subgraph.address() as { port: number }).port}/graphql`;
});
afterAll(() => new Promise<void>((done) => subgraph.close(() => done())));

const PROBE = `query Probe($n: Int, $id: ID!, $after: String, $flag: Boolean!) {
  users(first: $n, after: $after) @include(if: $flag) { edges { node { id } } }
  user(id: $id) { id }
}`;
const SIGN_UP = 'mutation SignUp($input: CreateUserInput!) { createUser(input: $input) { id } }';

/** Every error carries a code, none is INTERNAL_SERVER_ERROR, and nothing looks like a stack trace. */
function expectClientAnswer(status: number, body: GraphQLResponse) {
  expect(status).toBeLessThan(500);
  for (const error of body.errors ?? []) {
    expect(error.extensions?.code, JSON.stringify(error)).toEqual(expect.any(String));
    expect(error.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
  }
  expect(JSON.stringify(body)).not.toMatch(/stacktrace|\n\s+at |\.ts:\d+/);
}

const mistakes: Array<[string, unknown, number, string]> = [
  ['an Int variable given a string', { query: PROBE, variables: { n: 'abc', id: 'x', flag: true } }, 400, 'BAD_USER_INPUT'],
  ['an Int variable given 1.5', { query: PROBE, variables: { n: 1.5, id: 'x', flag: true } }, 400, 'BAD_USER_INPUT'],
  ['an Int variable given 1e300', { query: PROBE, variables: { n: 1e300, id: 'x', flag: true } }, 400, 'BAD_USER_INPUT'],
  ['a required variable left out', { query: PROBE, variables: { flag: true } }, 400, 'BAD_USER_INPUT'],
  [
    'null for a non-null argument through a defaulted variable',
    { query: 'query ($id: ID = "x") { user(id: $id) { id } }', variables: { id: null } },
    400,
    'BAD_USER_INPUT',
  ],
  [
    'null for @include(if:) through a defaulted variable',
    { query: 'query ($f: Boolean = true) { __typename @include(if: $f) }', variables: { f: null } },
    400,
    'BAD_USER_INPUT',
  ],
  [
    'an unknown operationName',
    { query: PROBE, operationName: 'Nope', variables: { id: 'x', flag: true } },
    400,
    'OPERATION_RESOLUTION_FAILURE',
  ],
  [
    'several operations and no operationName',
    { query: 'query A { __typename } query B { __typename }' },
    400,
    'OPERATION_RESOLUTION_FAILURE',
  ],
  [
    'a variable nested 100,000 deep',
    `{"query":${JSON.stringify(PROBE)},"variables":{"id":"x","flag":true,"n":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`,
    400,
    'BAD_USER_INPUT',
  ],
];

describe.each(['enforce', 'measure', 'off'])('LIMITS_MODE=%s', (mode) => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ LIMITS_MODE: mode }, { subgraphUrl });
  });
  afterAll(() => gateway?.close());

  it.each(mistakes)('%s: %i %s, the first time and once the document is cached', async (_name, body, status, code) => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const answer = await gateway.post(body);
      expect(answer.status).toBe(status);
      expect(answer.body.errors?.[0]?.extensions?.code).toBe(code);
      expectClientAnswer(answer.status, answer.body);
    }
  });

  it('answers generated variable values of every kind with a code, never a 5xx', async () => {
    const anyValue = fc.oneof(fc.jsonValue(), fc.constantFrom(null, 2 ** 31, -1, 0, 1e300, '', '\u0000', '\ud800', 'A'.repeat(10_000)));
    await fc.assert(
      fc.asyncProperty(
        fc.record({ n: anyValue, id: anyValue, after: anyValue, flag: anyValue }, { requiredKeys: [] }),
        fc.record({ username: anyValue, name: anyValue, email: anyValue, extra: anyValue }, { requiredKeys: [] }),
        fc.boolean(),
        async (probe, input, asMutation) => {
          const body = asMutation ? { query: SIGN_UP, variables: { input } } : { query: PROBE, variables: probe };
          const { status, body: answer } = await gateway.post(body);
          expectClientAnswer(status, answer);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('fragment fan-outs around MAX_QUERY_NODES', () => {
  const MAX = 500;
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ MAX_QUERY_NODES: String(MAX), COST_MAX: '1000000000', MAX_DEPTH: '100' }, { subgraphUrl });
  });
  afterAll(() => gateway?.close());

  /** A fragment spread `spreads` times per level, `levels` deep, ending in `leaf`. */
  const fanOut = (levels: number, spreads: number, leaf: string) => {
    const fragments = Array.from({ length: levels }, (_, i) =>
      i === levels - 1
        ? `fragment F${i} on Query { ${leaf} }`
        : `fragment F${i} on Query { ${Array.from({ length: spreads }, () => `...F${i + 1}`).join(' ')} }`,
    );
    return `{ ...F0 } ${fragments.join(' ')}`;
  };

  it('refuses one the cost estimator could not walk with 400 MAX_NODES_LIMIT, where it answered 500', async () => {
    // 256 fields pass a count of fields; with the 511 spreads that reach them, 767 selections do not.
    const { status, body } = await gateway.post({ query: fanOut(9, 2, '__typename') });
    expect([status, body.errors?.[0]?.extensions?.code]).toEqual([400, 'MAX_NODES_LIMIT']);
  });

  it('answers every generated fan-out near the limit as admitted or MAX_NODES_LIMIT, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom('__typename', 'users(first: 1) { edges { node { id } } }', '... on Query { __typename }'),
        async (levels, spreads, leaf) => {
          const { status, body } = await gateway.post({ query: fanOut(levels, spreads, leaf) });
          expectClientAnswer(status, body);
          for (const error of body.errors ?? [])
            expect(['MAX_NODES_LIMIT', 'SUBREQUEST_HTTP_ERROR', 'MAX_DEPTH_LIMIT']).toContain(error.extensions?.code);
        },
      ),
      { numRuns: 120 },
    );
  });
});

describe('GraphQL over HTTP status codes', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({}, { subgraphUrl });
  });
  afterAll(() => gateway?.close());

  const invalid = { query: '{ nope }' };
  it('is 200 with errors for the legacy application/json, or when the client names no media type', async () => {
    for (const accept of ['application/json', '*/*', 'application/json, application/graphql-response+json;q=0.5']) {
      const { status, body } = await gateway.post(invalid, { accept });
      expect(status, accept).toBe(200);
      expect(body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    }
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(invalid),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('keeps the 4xx for application/graphql-response+json', async () => {
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify(invalid),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
  });

  it('keeps HTTP-level refusals as they are: malformed JSON 400, a media type it cannot answer in 406', async () => {
    const malformed = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: '{"query":',
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as GraphQLResponse).errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    const { status } = await gateway.post({ query: '{ __typename }' }, { accept: 'text/csv' });
    expect(status).toBe(406);
  });
});

describe('introspection off', () => {
  it('answers generated misspellings of every name of the API schema with an error that suggests none', async () => {
    const gateway = await startTestGateway({ NODE_ENV: 'production' }, { subgraphUrl });
    try {
      const schema = apiSchemaOf(
        await composeSupergraph(await loadSupergraphConfig(resolve(import.meta.dirname, '../../supergraph.yaml'))),
      );
      await fc.assert(
        fc.asyncProperty(misspeltNames(schema), async (probe) => {
          const { status, body } = await gateway.post(probe);
          expectClientAnswer(status, body);
          expect(body.errors?.length, JSON.stringify(probe)).toBeGreaterThan(0);
          expect(JSON.stringify(body), JSON.stringify(probe)).not.toMatch(/did you mean/i);
        }),
        { numRuns: 400 },
      );
    } finally {
      await gateway.close();
    }
  });

  it('answers a mistyped field without suggesting the real ones in production, with them in development', async () => {
    const production = await startTestGateway({ NODE_ENV: 'production' }, { subgraphUrl });
    const development = await startTestGateway({ NODE_ENV: 'development', SUPERGRAPH_SOURCE: 'file' }, { subgraphUrl });
    try {
      for (const query of ['{ usr { id } }', '{ user(id: "x") { emai } }', 'query ($i: CreateUserInput!) { __typename }']) {
        const hidden = await production.post({ query, variables: { i: { usernam: 'x' } } });
        expect(JSON.stringify(hidden.body), query).not.toMatch(/Did you mean/);
        expect(hidden.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      }
      const shown = await development.post({ query: '{ usr { id } }' });
      expect(shown.body.errors?.[0]?.message).toMatch(/Did you mean "user" or "users"\?/);
    } finally {
      await production.close();
      await development.close();
    }
  });
});
