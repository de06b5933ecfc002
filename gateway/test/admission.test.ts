import { ApolloServer } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ANONYMOUS } from '@tessera/service-kit';
import { createAdmissionPlugin } from '../src/pipeline/admission.js';
import type { AdmissionStep, GatewayContext } from '../src/pipeline/index.js';

/** Which steps ran, in order, for each request (Apollo hands the steps a copy of the context: by request id). */
const trails = new Map<string, string[]>();
const trailOf = ({ requestId }: GatewayContext) => trails.get(requestId) ?? trails.set(requestId, []).get(requestId)!;
let requests = 0;
const refuse =
  (code: string): AdmissionStep =>
  ({ contextValue }) => {
    trailOf(contextValue).push(code);
    throw new GraphQLError(code, { extensions: { code, http: { status: 400 } } });
  };
/** A step that notes its name once `wait()` settles (a slow step: a Redis round trip, say). */
const note =
  (name: string, wait: () => Promise<unknown> = async () => {}): AdmissionStep =>
  async ({ contextValue }) => {
    await wait();
    trailOf(contextValue).push(name);
  };
/** A turn of the event loop: steps run side by side would let the next one finish first. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

async function run(steps: AdmissionStep[]) {
  const apollo = new ApolloServer<GatewayContext>({
    typeDefs: 'type Query { ok: Int }',
    resolvers: { Query: { ok: () => 1 } },
    plugins: [createAdmissionPlugin(steps)],
  });
  await apollo.start();
  try {
    const contextValue: GatewayContext = { identity: ANONYMOUS, deadline: Date.now() + 5_000, requestId: `admission-${++requests}` };
    const response = await apollo.executeOperation({ query: '{ ok }' }, { contextValue });
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    return { result: response.body.singleResult, trail: trailOf(contextValue), status: response.http.status };
  } finally {
    await apollo.stop();
  }
}

describe('createAdmissionPlugin', () => {
  it('runs steps one after another in the order given, even when an earlier one is slower', async () => {
    const { result, trail } = await run([note('first', turn), note('second')]);
    expect(trail).toEqual(['first', 'second']);
    expect(result.data).toEqual({ ok: 1 });
  });

  it('answers with the first refusal; later steps do not run and nothing executes', async () => {
    const { result, trail, status } = await run([
      note('persisted queries'),
      refuse('PERSISTED_QUERY_NOT_IN_LIST'),
      refuse('COST_ESTIMATED_TOO_EXPENSIVE'),
    ]);
    expect(trail).toEqual(['persisted queries', 'PERSISTED_QUERY_NOT_IN_LIST']);
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    expect(result.data).toBeUndefined();
    expect(status).toBe(400);
  });
});
