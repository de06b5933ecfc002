/**
 * `pnpm bench:soak`: the whole platform on the test PostgreSQL, driven through the gateway at a
 * fixed rate (SOAK_RATE requests per second, 100; SOAK_SECONDS, 60) — prints the requests, the
 * errors, and each service's RSS high-water mark over the first and the second half.
 */
import { createSubgraphDatabases, startPlatform } from '@tessera/test-helpers';
import { soak } from './run.js';

const rate = Number(process.env.SOAK_RATE ?? 100);
const seconds = Number(process.env.SOAK_SECONDS ?? 60);
const dbs = await createSubgraphDatabases('soak');
const platform = await startPlatform({ env: { ...dbs.env, SEED_USERS: '200', SEED_PRODUCTS: '100', SEED_REVIEWS: '2000' } });
try {
  const result = await soak(platform, { rate, seconds });
  console.log(`soak: ${result.requests} requests at ${rate}/s for ${seconds} s, ${result.errors} errors`);
  for (const [service, { startMiB, endMiB, growth }] of Object.entries(result.rss)) {
    console.log(
      `  ${service.padEnd(8)} RSS peak, first half ${startMiB.toFixed(1)} MiB → second half ${endMiB.toFixed(1)} MiB (${(growth * 100).toFixed(1)} %)`,
    );
  }
} finally {
  await platform.stop();
  await dbs.drop();
}
