/**
 * `createPersistedQueries` alone, without Redis (APQ in this process's memory), on a gateway of just
 * that feature: Apollo's APQ protocol with our codes, the registration bound, developer keys and
 * `enforce` mode. (The published manifest, which lives in Redis, is tested in integration/.)
 */
import { createHash } from 'node:crypto';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createPersistedQueries, DEVELOPER_KEY_HEADER, type PersistedQueriesOptions } from '../../src/features/persisted-queries/index.js';
import { startFeatureServer, type FeatureServer } from './feature-server.js';

const silent = pino({ level: 'silent' });
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });
const QUERY = '{ topProducts(first: 1) { id } }';

let server: FeatureServer | undefined;
afterEach(() => server?.close());

async function start(options: Partial<PersistedQueriesOptions> = {}) {
  const registry = new Registry();
  const persistedQueries = createPersistedQueries({ keyPrefix: 'pq-test:', logger: silent, registry, ...options });
  server = await startFeatureServer([persistedQueries], { apq: persistedQueries.apq });
  const lookups = async () =>
    (await registry.getSingleMetricAsString('persisted_queries_total')).split('\n').filter((line) => !line.startsWith('#'));
  return { server, lookups, persistedQueries };
}

describe('createPersistedQueries', () => {
  it('answers an unknown hash PERSISTED_QUERY_NOT_FOUND, registers it with its text, then runs it by hash', async () => {
    const { server, lookups } = await start();
    const hash = sha256(QUERY);
    expect((await server.post({ extensions: persisted(hash) })).body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await server.post({ query: QUERY, extensions: persisted(hash) })).status).toBe(200);
    const byHash = await server.post({ extensions: persisted(hash) });
    expect(byHash.status).toBe(200);
    expect(byHash.body.data).toEqual({ topProducts: [] });
    expect(await lookups()).toEqual([
      'persisted_queries_total{kind="apq",result="miss"} 1',
      'persisted_queries_total{kind="apq",result="register"} 1',
      'persisted_queries_total{kind="apq",result="hit"} 1',
    ]);
  });

  it('gives a hash that does not match its text our code, 400, and registers nothing', async () => {
    const { server } = await start();
    const wrong = sha256('{ something else }');
    const mismatch = await server.post({ query: QUERY, extensions: persisted(wrong) });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.errors).toEqual([
      { message: 'The sha256Hash does not match the query text.', extensions: { code: 'PERSISTED_QUERY_HASH_MISMATCH' } },
    ]);
    expect((await server.post({ extensions: persisted(wrong) })).body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('runs, but does not register, a text over apqMaxBytes', async () => {
    const { server } = await start({ apqMaxBytes: 40 });
    const long = `{ topProducts(first: 1) { id name } }${' '.repeat(10)}`;
    expect((await server.post({ query: long, extensions: persisted(sha256(long)) })).status).toBe(200);
    expect((await server.post({ extensions: persisted(sha256(long)) })).body.errors?.[0]?.extensions?.code).toBe(
      'PERSISTED_QUERY_NOT_FOUND',
    );
  });

  it('in enforce mode with no published operation, runs only what a developer key sends, refusing the rest before any cost is looked at', async () => {
    const { server } = await start({ mode: 'enforce', developerKeys: ['dev-key-1'] });
    const refused = await server.post({ query: QUERY });
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    expect((await server.post({ query: QUERY }, { [DEVELOPER_KEY_HEADER]: 'dev-key-2' })).status).toBe(400);
    expect((await server.post({ query: QUERY }, { [DEVELOPER_KEY_HEADER]: 'dev-key-1' })).status).toBe(200);
    expect(server.executed).toHaveLength(1);
  });

  it('is ready without a manifest to read, and lets free-form queries run in the other modes', async () => {
    const { server, persistedQueries } = await start({ mode: 'allow' });
    await expect(persistedQueries.ready!()).resolves.toBeUndefined();
    expect((await server.post({ query: QUERY })).status).toBe(200);
  });
});
