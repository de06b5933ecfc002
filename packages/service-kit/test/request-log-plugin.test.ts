import { Writable } from 'node:stream';
import { ApolloServer } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestLogPlugin } from '../src/index.js';

const lines: any[] = [];
const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _e, done) => (lines.push(JSON.parse(String(chunk))), done()) }));
const apollo = new ApolloServer<{ tenant: string }>({
  typeDefs: 'type Query { ok: Int fails: Int }',
  resolvers: { Query: { ok: () => 1, fails: () => Promise.reject(new GraphQLError('no', { extensions: { code: 'NOT_FOUND' } })) } },
  plugins: [createRequestLogPlugin(logger, (context) => ({ tenant: context.tenant }))],
});
beforeAll(() => apollo.start());
afterAll(() => apollo.stop());

describe('createRequestLogPlugin', () => {
  it('logs one line per request with the operation, its outcome and what the service adds', async () => {
    lines.length = 0;
    await apollo.executeOperation({ query: 'query Good { ok }' }, { contextValue: { tenant: 't1' } });
    await apollo.executeOperation({ query: 'query Bad { fails }' }, { contextValue: { tenant: 't2' } });
    await apollo.executeOperation({ query: '{ nope' }, { contextValue: { tenant: 't3' } });
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ msg: 'graphql request', operationName: 'Good', operationType: 'query', outcome: 'ok', tenant: 't1' });
    expect(lines[0].errorCodes).toBeUndefined();
    expect(lines[0].durationMs).toBeGreaterThanOrEqual(0);
    expect(lines[1]).toMatchObject({ operationName: 'Bad', outcome: 'error', errorCodes: ['NOT_FOUND'], tenant: 't2' });
    expect(lines[2]).toMatchObject({ operationName: null, operationType: null, outcome: 'error', errorCodes: ['GRAPHQL_PARSE_FAILED'], status: 400 });
  });
});
