import { ApolloServer } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createAdmissionPlugin, type AdmissionStep } from '../src/plugins/admission/index.js';

type Context = { trail: string[] };
const refuse =
  (code: string): AdmissionStep<Context> =>
  ({ contextValue }) => {
    contextValue.trail.push(code);
    throw new GraphQLError(code, { extensions: { code, http: { status: 400 } } });
  };
const note =
  (name: string, delayMs = 0): AdmissionStep<Context> =>
  async ({ contextValue }) => {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    contextValue.trail.push(name);
  };

async function run(steps: Array<AdmissionStep<Context> | undefined>) {
  const apollo = new ApolloServer<Context>({
    typeDefs: 'type Query { ok: Int }',
    resolvers: { Query: { ok: () => 1 } },
    plugins: [createAdmissionPlugin(steps)],
  });
  await apollo.start();
  try {
    const contextValue: Context = { trail: [] };
    const response = await apollo.executeOperation({ query: '{ ok }' }, { contextValue });
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    return { result: response.body.singleResult, trail: contextValue.trail, status: response.http.status };
  } finally {
    await apollo.stop();
  }
}

describe('createAdmissionPlugin', () => {
  it('runs steps one after another in the order given, even when an earlier one is slower', async () => {
    const { result, trail } = await run([note('first', 30), undefined, note('second')]);
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
