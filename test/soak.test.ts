/**
 * A 60-second fixed-rate soak through the gateway on PostgreSQL (the run `pnpm bench:soak`
 * prints), after a warm-up of 20,000 requests that takes every process to its steady heap size:
 * no request may fail, and no service's RSS high-water mark may grow by 10 % or more from the
 * first half to the second. Speed is the benchmark's business, not this test's.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSubgraphDatabases, startPlatform, type Platform, type SubgraphDatabases } from '@tessera/test-helpers';
import { soak } from '@tessera/bench/soak';

let dbs: SubgraphDatabases;
let platform: Platform;
beforeAll(async () => {
  dbs = await createSubgraphDatabases('soak');
  platform = await startPlatform({ env: { ...dbs.env, SEED_USERS: '50', SEED_PRODUCTS: '20', SEED_REVIEWS: '300' } });
}, 120_000);
afterAll(async () => {
  await platform?.stop();
  await dbs?.drop();
});

it('serves 60 s at a fixed rate with zero errors and RSS growth under 10 %', async () => {
  const result = await soak(platform, { rate: 50, seconds: 60 });
  expect(result.requests).toBeGreaterThan(2_500);
  expect(result.errors).toBe(0);
  for (const [service, { growth }] of Object.entries(result.rss))
    expect({ service, growth: growth < 0.1 }).toEqual({ service, growth: true });
}, 420_000);
