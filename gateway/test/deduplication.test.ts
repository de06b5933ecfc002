/** Identical subgraph queries in flight at once share one fetch; nothing else is ever shared. */
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher, FetcherResponse } from '@apollo/utils.fetcher';
import fc from 'fast-check';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Identity } from '@tessera/service-kit';
import { createInflightShare } from '../src/inflight.js';
import { createDeduplication } from '../src/features/deduplication/index.js';
import { contextOf, withExecutionSteps, type ExecutingGateway, type ExecutionRequest, type GatewayContext } from '../src/pipeline/index.js';
import { createSubgraphMetrics, createSubgraphPolicy, RESILIENCE_DEFAULTS, SubgraphDataSource } from '../src/upstream/index.js';

const silent = pino({ level: 'silent' });

/** A subgraph in memory whose answers wait until `release()`: every fetch it got, and its answer to each body. */
function heldSubgraph({ fail = false } = {}) {
  const fetches: Array<{ body: string; headers: Record<string, string> }> = [];
  const waiting: Array<() => void> = [];
  const answer = (body: string, identity: string) => JSON.stringify({ data: { body, identity, nested: { list: [1, 2] } } });
  const fetcher: Fetcher = async (_url, init) => {
    const { body, headers } = init as { body: string; headers: Record<string, string> };
    fetches.push({ body, headers });
    await new Promise<void>((resolve) => waiting.push(resolve));
    const text = answer(body, headers['x-tessera-identity']!);
    return {
      ok: !fail,
      status: fail ? 503 : 200,
      text: async () => text,
      json: async () => JSON.parse(text) as unknown,
    } as unknown as FetcherResponse;
  };
  return { fetcher, fetches, answer, release: () => waiting.splice(0).forEach((resolve) => resolve()) };
}

function dataSource(fetcher: Fetcher, { deduplicate = true, registry = new Registry(), logger = silent } = {}) {
  const metrics = createSubgraphMetrics(registry);
  // No retries: a failed fetch is seen once.
  const policy = createSubgraphPolicy('reviews', { ...RESILIENCE_DEFAULTS, retries: 0 }, metrics, logger);
  return new SubgraphDataSource({ service: 'reviews', url: 'http://reviews.test/graphql', fetcher, policy, metrics, logger, deduplicate });
}

const user = (sub: string): Identity => ({ sub, scopes: new Set() });

function call(
  source: SubgraphDataSource,
  query: string,
  { variables, identity }: { variables?: Record<string, unknown>; identity?: Identity } = {},
) {
  const options = {
    kind: 'incoming operation',
    request: { query, variables },
    context: { identity, deadline: Date.now() + 5_000 } as Partial<GatewayContext>,
    incomingRequestContext: {},
  };
  return source.process(options as unknown as GraphQLDataSourceProcessOptions<GatewayContext>);
}

/** One turn of the event loop: every pending promise chain (the data source's awaits) has run by then, so every fetch started has reached the subgraph. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('deduplication of subgraph queries', () => {
  it('sends identical concurrent queries once, and gives every caller its own objects', async () => {
    const subgraph = heldSubgraph();
    const registry = new Registry();
    const source = dataSource(subgraph.fetcher, { registry });
    const calls = Array.from({ length: 5 }, () => call(source, '{ topProducts { id } }'));
    await settle();
    expect(subgraph.fetches).toHaveLength(1);
    subgraph.release();
    const results = await Promise.all(calls);
    expect(new Set(results).size).toBe(5);
    expect(new Set(results.map((r) => r.data)).size).toBe(5);
    // Apollo Gateway merges into what it gets: one caller's change must not reach another.
    (results[0]!.data as { nested: { list: number[] } }).nested.list.push(3);
    expect((results[1]!.data as { nested: { list: number[] } }).nested.list).toEqual([1, 2]);
    expect(await registry.getSingleMetricAsString('subgraph_fetches_deduplicated_total')).toContain(
      'subgraph_fetches_deduplicated_total{subgraph="reviews"} 4',
    );
  });

  it('never shares across forwarded identities, variables or documents', async () => {
    const subgraph = heldSubgraph();
    const source = dataSource(subgraph.fetcher);
    const calls = [
      call(source, '{ me { id } }', { identity: user('a') }),
      call(source, '{ me { id } }', { identity: user('b') }),
      call(source, '{ me { id } }'),
      call(source, 'query ($id: ID!) { user(id: $id) { id } }', { variables: { id: '1' } }),
      call(source, 'query ($id: ID!) { user(id: $id) { id } }', { variables: { id: '2' } }),
      call(source, '{ me { name } }', { identity: user('a') }),
    ];
    await settle();
    expect(subgraph.fetches).toHaveLength(6);
    subgraph.release();
    const results = await Promise.all(calls);
    results.forEach((result, i) =>
      expect(JSON.stringify(result)).toBe(subgraph.answer(subgraph.fetches[i]!.body, subgraph.fetches[i]!.headers['x-tessera-identity']!)),
    );
  });

  it('never shares mutations, nor anything when switched off', async () => {
    const subgraph = heldSubgraph();
    const on = dataSource(subgraph.fetcher);
    const off = dataSource(subgraph.fetcher, { deduplicate: false });
    const calls = [
      call(on, 'mutation { createReview { id } }'),
      call(on, 'mutation { createReview { id } }'),
      call(off, '{ me { id } }'),
      call(off, '{ me { id } }'),
    ];
    await settle();
    expect(subgraph.fetches).toHaveLength(4);
    subgraph.release();
    await Promise.all(calls);
  });

  it('shares a failure too, logged once, with each caller getting the coded error', async () => {
    const subgraph = heldSubgraph({ fail: true });
    const logged: unknown[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => logged.push(JSON.parse(line)) });
    const source = dataSource(subgraph.fetcher, { logger });
    const calls = Array.from({ length: 3 }, () => call(source, '{ topProducts { id } }').catch((error: unknown) => error));
    await settle();
    subgraph.release();
    const errors = (await Promise.all(calls)) as Array<{ extensions: Record<string, unknown> }>;
    expect(subgraph.fetches).toHaveLength(1);
    for (const error of errors) expect(error.extensions).toMatchObject({ code: 'SUBREQUEST_HTTP_ERROR', service: 'reviews', status: 503 });
    expect(logged.filter((line) => (line as { msg: string }).msg === 'subgraph request failed')).toHaveLength(1);
  });

  it('keeps nothing once a fetch is answered: the next identical query is sent again', async () => {
    const subgraph = heldSubgraph();
    const source = dataSource(subgraph.fetcher);
    const first = call(source, '{ topProducts { id } }');
    await settle();
    subgraph.release();
    await first;
    const second = call(source, '{ topProducts { id } }');
    await settle();
    expect(subgraph.fetches).toHaveLength(2);
    subgraph.release();
    await second;
  });

  it('for any interleaving, sends one fetch per distinct query in flight and answers each caller as if alone', async () => {
    const operation = fc.record({
      query: fc.constantFrom('{ a }', '{ b }', 'query ($n: Int) { c(n: $n) }', 'mutation { d }'),
      n: fc.integer({ min: 0, max: 2 }),
      sub: fc.constantFrom(undefined, 'u1', 'u2'),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 30 }), async (operations) => {
        const subgraph = heldSubgraph();
        const source = dataSource(subgraph.fetcher);
        const calls = operations.map((op) =>
          call(source, op.query, { variables: { n: op.n }, identity: op.sub ? user(op.sub) : undefined }),
        );
        await settle();
        const queries = operations.filter((op) => !op.query.startsWith('mutation'));
        const distinct = new Set(queries.map((op) => JSON.stringify([op.query, op.n, op.sub ?? null])));
        expect(subgraph.fetches).toHaveLength(distinct.size + operations.length - queries.length);
        subgraph.release();
        const results = await Promise.all(calls);
        const identities = subgraph.fetches.map((f) => f.headers['x-tessera-identity']!);
        results.forEach((result, i) => {
          const op = operations[i]!;
          const body = JSON.stringify({ query: op.query, variables: { n: op.n } });
          const data = result.data as { body: string; identity: string };
          expect(JSON.parse(data.body)).toMatchObject(JSON.parse(body));
          expect(identities).toContain(data.identity);
        });
      }),
      { numRuns: 200 },
    );
  });
});

describe('createInflightShare', () => {
  it('forgets a key once its promise settles, whether it resolved or rejected', async () => {
    const share = createInflightShare<number>();
    const ok = share.get('k', async () => 1);
    expect(share.get('k', async () => 2)).toEqual({ promise: ok.promise, shared: true });
    await ok.promise;
    expect(share.size).toBe(0);
    const failed = share.get('k', async () => Promise.reject(new Error('no')));
    await expect(failed.promise).rejects.toThrow('no');
    await settle();
    expect(share.size).toBe(0);
    expect(share.get('k', async () => 3).shared).toBe(false);
  });
});

describe('the deduplication feature', () => {
  type Request = ExecutionRequest;
  /** The gateway with only the deduplication's execution step around its executor. */
  const deduplicateExecution = (gateway: ExecutingGateway, registry?: Registry) =>
    withExecutionSteps(gateway, [createDeduplication({ registry }).execute!]);

  /** A gateway whose executions wait for `release()`; each result names the request it ran for. */
  function heldGateway() {
    const executed: Request[] = [];
    const waiting: Array<() => void> = [];
    const gateway = {
      onSchemaLoadOrUpdate: () => () => {},
      stop: async () => {},
      load: async () => ({
        schema: {} as never,
        executor: async (request: Request) => {
          executed.push(request);
          await new Promise<void>((resolve) => waiting.push(resolve));
          return { data: { ran: executed.length, variables: request.request.variables }, extensions: { trace: 't' } };
        },
      }),
    };
    return {
      gateway: gateway as unknown as ExecutingGateway,
      executed,
      waiting,
      release: () => waiting.splice(0).forEach((resolve) => resolve()),
    };
  }

  const request = (
    query: string,
    { variables = {}, sub, scopes = [], operation = 'query', operationName = null as string | null } = {} as {
      variables?: Record<string, unknown>;
      sub?: string;
      scopes?: string[];
      operation?: string;
      operationName?: string | null;
    },
  ) =>
    ({
      queryHash: query,
      operationName,
      operation: { operation },
      request: { query, variables },
      context: { identity: { sub, scopes: new Set(scopes) } },
    }) as unknown as Request;

  it('executes identical queries in flight once, and only those', async () => {
    const held = heldGateway();
    const registry = new Registry();
    const { executor } = await deduplicateExecution(held.gateway, registry).load({ apollo: {} });
    const same = [request('q1', { sub: 'a', scopes: ['x', 'y'] }), request('q1', { sub: 'a', scopes: ['y', 'x'] })];
    const different = [
      request('q1', { sub: 'b' }),
      request('q1', { sub: 'a', scopes: ['x'] }),
      request('q1', { sub: 'a', scopes: ['x', 'y'], variables: { n: 1 } }),
      request('q1', { sub: 'a', scopes: ['x', 'y'], operationName: 'Other' }),
      request('q2', { sub: 'a', scopes: ['x', 'y'] }),
      request('m1', { operation: 'mutation' }),
      request('m1', { operation: 'mutation' }),
    ];
    const results = [...same, ...different].map((r) => executor(r));
    await settle();
    expect(held.executed).toHaveLength(1 + different.length);
    held.release();
    const [first, second] = await Promise.all(results);
    expect(second!.data).toBe(first!.data);
    // Each caller's response is its own to add errors or extensions to.
    expect(second).not.toBe(first);
    expect(second!.extensions).not.toBe(first!.extensions);
    expect(await registry.getSingleMetricAsString('graphql_operations_deduplicated_total')).toContain(
      'graphql_operations_deduplicated_total 1',
    );
  });

  it("never joins a caller's query to an execution from before that caller's write ended (it reads its own writes); others' still join", async () => {
    const held = heldGateway();
    const { executor } = await deduplicateExecution(held.gateway).load({ apollo: {} });
    const before = executor(request('q1', { sub: 'writer' }));
    const othersBefore = executor(request('q1', { sub: 'other' }));
    await settle();
    // The two queries stay in flight (their release is kept back) while the write runs and ends.
    const queries = held.waiting.splice(0);
    const write = executor(request('m1', { sub: 'writer', operation: 'mutation' }));
    await settle();
    held.release();
    await write;
    held.waiting.push(...queries);
    const after = executor(request('q1', { sub: 'writer' }));
    const othersAfter = executor(request('q1', { sub: 'other' }));
    await settle();
    expect(held.executed.map((r) => [r.operation.operation, contextOf(r).identity.sub])).toEqual([
      ['query', 'writer'],
      ['query', 'other'],
      ['mutation', 'writer'],
      ['query', 'writer'],
    ]);
    held.release();
    await Promise.all([before, othersBefore, after, othersAfter]);
  });

  it('never shares between callers whose scopes a joined key would confuse', async () => {
    const held = heldGateway();
    const { executor } = await deduplicateExecution(held.gateway).load({ apollo: {} });
    const results = [
      executor(request('q1', { sub: 'a', scopes: ['users:read-email', 'x'] })),
      executor(request('q1', { sub: 'a', scopes: ['users:read-email x'] })),
    ];
    await settle();
    expect(held.executed).toHaveLength(2);
    held.release();
    await Promise.all(results);
  });

  it('for generated callers in flight at once, executes once per distinct caller (subject and set of scopes)', async () => {
    const text = fc.oneof(
      fc.constantFrom('a', 'b', 'a b', ' ', '|', 'users:read-email', 'users:read-email x', 'x'),
      fc.string({ maxLength: 4 }),
    );
    const caller = fc.record({ sub: fc.option(text, { nil: undefined }), scopes: fc.array(text, { maxLength: 3 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(caller, { minLength: 1, maxLength: 12 }), async (callers) => {
        const held = heldGateway();
        const { executor } = await deduplicateExecution(held.gateway).load({ apollo: {} });
        const results = callers.map((c) => executor(request('q1', c)));
        await settle();
        const distinct = new Set(callers.map((c) => JSON.stringify([c.sub ?? null, [...new Set(c.scopes)].sort()])));
        expect(held.executed).toHaveLength(distinct.size);
        held.release();
        await Promise.all(results);
      }),
      { numRuns: 300 },
    );
  });

  it('runs unshared a query whose variables are too deep to write as JSON (unused ones a client sent)', async () => {
    const held = heldGateway();
    const { executor } = await deduplicateExecution(held.gateway).load({ apollo: {} });
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const results = [executor(request('q1', { variables: { deep } })), executor(request('q1', { variables: { deep } }))];
    await settle();
    expect(held.executed).toHaveLength(2);
    held.release();
    expect(await Promise.all(results)).toHaveLength(2);
  });

  it('keeps nothing once an execution ends', async () => {
    const held = heldGateway();
    const { executor } = await deduplicateExecution(held.gateway).load({ apollo: {} });
    const first = executor(request('q1'));
    await settle();
    held.release();
    await first;
    const second = executor(request('q1'));
    await settle();
    expect(held.executed).toHaveLength(2);
    held.release();
    expect((await second).data).toMatchObject({ ran: 2 });
  });
});
