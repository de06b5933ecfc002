/**
 * A cold entity cache under a burst: concurrent `_entities` fetches whose batches overlap each
 * fetch every entity once between them, and every one still answers what the subgraph would have
 * answered it — errors on their own paths, entities with errors fetched again by whoever needs
 * them (never handed on). On the test Redis, the gateway's own store; the subgraph behind is a
 * recording stand-in (the cache is what is under test).
 */
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { connectRedis } from '@tessera/service-kit';
import fc from 'fast-check';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCacheHints } from '../../src/features/cache/index.js';
import { CachingDataSource, type CacheModel } from '../../src/features/cache/caching-data-source.js';
import type { GatewayContext } from '../../src/pipeline/index.js';
import { createCacheMetrics } from '../../src/features/cache/metrics.js';
import { createCacheStore } from '../../src/features/cache/store.js';
import { apiSchemaOf, composeSupergraph, loadSupergraphConfig } from '../../src/supergraph/index.js';

const redisUrl = process.env.TEST_REDIS_URL;
if (!redisUrl) throw new Error('TEST_REDIS_URL is not set: run the tests with `pnpm test`, which starts Redis.');
const logger = pino({ level: 'silent' });
const redis = connectRedis({ url: redisUrl, timeoutMs: 1_000, logger });
let model: CacheModel;
beforeAll(async () => {
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  const sdl = await composeSupergraph(await loadSupergraphConfig(join(resolve(import.meta.dirname, '../../..'), 'supergraph.yaml')));
  model = { schema: apiSchemaOf(sdl), hints: readCacheHints(sdl) };
});
afterAll(() => redis.quit());

const FETCH = 'query($representations:[_Any!]!){_entities(representations:$representations){...on Product{reviewCount}}}';
type Representation = { __typename: 'Product'; id: string };
type Answer = { data?: { _entities: unknown[] } | null; errors?: Array<{ message: string; path: Array<string | number> }> };

/** The subgraph: a product's review count is its number; `failing` ones answer null with an error. Records every representation asked for. */
function subgraph(failing: ReadonlySet<string>) {
  const asked: string[] = [];
  const answer = (representations: Representation[]): Answer => {
    const errors = representations.flatMap(({ id }, j) => (failing.has(id) ? [{ message: `no ${id}`, path: ['_entities', j] }] : []));
    return {
      data: { _entities: representations.map(({ id }) => (failing.has(id) ? null : { reviewCount: Number(id.slice(1)) })) },
      ...(errors.length && { errors }),
    };
  };
  const source: GraphQLDataSource<GatewayContext> = {
    async process({ request }) {
      const representations = request.variables!.representations as Representation[];
      asked.push(...representations.map(({ id }) => id));
      // The subgraph's latency: batches sent while one is answered overlap it.
      await new Promise((resolve) => setTimeout(resolve, 15));
      return answer(representations);
    },
  };
  return { source, asked, answer };
}

const fetchOf = (representations: Representation[]) =>
  ({
    kind: 'incoming operation',
    request: { query: FETCH, variables: { representations } },
    context: {},
    incomingRequestContext: {},
  }) as unknown as GraphQLDataSourceProcessOptions<GatewayContext>;

describe('single flight of missed entities', () => {
  it('fetches each entity once across a burst of overlapping batches, and answers each batch as the subgraph would', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `p${i}`);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uniqueArray(fc.constantFrom(...ids), { minLength: 1, maxLength: 6 }), { minLength: 2, maxLength: 10 }),
        fc.subarray(ids, { maxLength: 2 }),
        async (batches, failing) => {
          const { source, asked, answer } = subgraph(new Set(failing));
          const registry = new Registry();
          const metrics = createCacheMetrics(registry);
          const keyPrefix = `flight-${randomUUID()}:`;
          const cached = new CachingDataSource('reviews', source, {
            store: createCacheStore({ redis, keyPrefix, logger, metrics }),
            model: () => model,
            keyPrefix,
            ttlOverrides: new Map(),
            metrics,
            invalidate: async () => {},
          });
          const requests = batches.map((batch) => batch.map((id) => ({ __typename: 'Product' as const, id })));
          const answers = await Promise.all(requests.map((representations) => cached.process(fetchOf(representations))));
          answers.forEach((got, i) => expect(got, JSON.stringify(batches[i])).toEqual(answer(requests[i]!)));
          const answered = new Set(batches.flat().filter((id) => !failing.includes(id)));
          // Every entity that could be kept was asked for once, by one of the requests.
          expect(asked.filter((id) => answered.has(id)).sort()).toEqual([...answered].sort());
          // One that failed is asked for by every request that needed it (and nothing is kept of it).
          for (const id of failing) expect(asked.filter((a) => a === id).length).toBe(batches.filter((batch) => batch.includes(id)).length);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('counts the entities a request waited for', async () => {
    const { source } = subgraph(new Set());
    const registry = new Registry();
    const metrics = createCacheMetrics(registry);
    const keyPrefix = `flight-${randomUUID()}:`;
    const cached = new CachingDataSource('reviews', source, {
      store: createCacheStore({ redis, keyPrefix, logger, metrics }),
      model: () => model,
      keyPrefix,
      ttlOverrides: new Map(),
      metrics,
      invalidate: async () => {},
    });
    const batch = (...ids: string[]) => ids.map((id) => ({ __typename: 'Product' as const, id }));
    await Promise.all([
      cached.process(fetchOf(batch('p1', 'p2'))),
      cached.process(fetchOf(batch('p2', 'p3'))),
      cached.process(fetchOf(batch('p1', 'p2', 'p3'))),
    ]);
    const joins = (await registry.getSingleMetric('cache_entity_joins_total')!.get()).values;
    expect(joins).toEqual([{ value: 4, labels: { subgraph: 'reviews' } }]);
  });
});
