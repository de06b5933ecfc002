/**
 * `pnpm bench:n1`: what DataLoader buys. Starts the platform on a real PostgreSQL server
 * with the benchmark data set (10,000 users, 5,000 products, 100,000 reviews), then for
 * N = 1, 10, 100 and batching on vs off prints SQL statements per request (counted with
 * pg_stat_statements), p50/p99 latency and requests per second through the gateway, and
 * the on/off ratios — all taken in one run.
 *
 * Latency (p50/p99) is taken with one connection, so it is the time of one request rather
 * than of a queue; throughput with BENCH_CONNECTIONS (default 8) connections.
 * Knobs: BENCH_SECONDS (per measurement, default 4), BENCH_CONNECTIONS.
 */
import {
  createStatementCounter,
  createSubgraphDatabases,
  requireEnv,
  startPlatform,
  SUBGRAPH_NAMES,
  type Platform,
} from '@tessera/test-helpers';
import { runLoad, type LoadFigures } from './load.js';

const SIZES = [1, 10, 100];
const QUERIES = {
  topProducts: `query ($n: Int!) { topProducts(first: $n) { name reviews(first: 5) { edges { node { rating author { username } } } } averageRating reviewCount } }`,
  usersReviews: `query ($n: Int!) { users(first: $n) { edges { node { username reviews(first: 5) { edges { node { product { name } } } } } } } }`,
};
const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 8);

interface Row extends Pick<LoadFigures, 'p50Ms' | 'p99Ms' | 'requestsPerSecond'> {
  query: string;
  n: number;
  batching: boolean;
  statements: number;
}

/**
 * Statement counts first, for every cell, while nothing else runs (a load run's last
 * requests could still be finishing and would be counted), then the load runs.
 */
async function measure(platform: Platform, counter: Awaited<ReturnType<typeof createStatementCounter>>, batching: boolean) {
  const cells = Object.entries(QUERIES).flatMap(([query, text]) => SIZES.map((n) => ({ query, text, n })));
  const statements = new Map<string, number>();
  for (const { query, text, n } of cells) {
    const repeats = 5;
    const counted = await counter.count(async () => {
      for (let i = 1; i < repeats; i++) await platform.graphql(text, { n });
      return platform.graphql(text, { n });
    });
    if (counted.result.body.errors) throw new Error(`${query} failed: ${JSON.stringify(counted.result.body.errors)}`);
    statements.set(`${query}/${n}`, Object.values(counted.statements).reduce((a, b) => a + b, 0) / repeats);
  }
  // Warm every process (JIT, connection pools, PostgreSQL's caches) before timing anything.
  for (const { text, n } of cells) {
    await runLoad({
      url: platform.gatewayUrl,
      requests: [{ body: JSON.stringify({ query: text, variables: { n } }) }],
      connections,
      seconds: 1,
    });
  }
  const rows: Row[] = [];
  for (const { query, text, n } of cells) {
    const requests = [{ body: JSON.stringify({ query: text, variables: { n } }) }];
    // Latency from one connection (no queueing behind other requests); throughput from many.
    const latency = await runLoad({ url: platform.gatewayUrl, requests, connections: 1, seconds, warmupSeconds: 1 });
    const throughput = await runLoad({ url: platform.gatewayUrl, requests, connections, seconds, warmupSeconds: 1 });
    const row = {
      query,
      n,
      batching,
      statements: statements.get(`${query}/${n}`)!,
      p50Ms: latency.p50Ms,
      p99Ms: latency.p99Ms,
      requestsPerSecond: throughput.requestsPerSecond,
    };
    rows.push(row);
    console.error(
      `  ${query} N=${n} batching=${batching}: ${row.statements} statements, p50 ${row.p50Ms.toFixed(1)} ms, ${row.requestsPerSecond.toFixed(0)} req/s`,
    );
  }
  return rows;
}

async function main() {
  const dbs = await createSubgraphDatabases('bench');
  const counter = await createStatementCounter(
    requireEnv('TEST_POSTGRES_URL'),
    Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, dbs.byName[n].name])),
  );
  const env = (batching: boolean) => ({
    SEED_USERS: '10000',
    SEED_PRODUCTS: '5000',
    SEED_REVIEWS: '100000',
    DATALOADER_BATCHING: String(batching),
    ...dbs.env,
  });
  const rows: Row[] = [];
  try {
    for (const batching of [true, false]) {
      const started = Date.now();
      const platform = await startPlatform({ env: env(batching), readyTimeoutMs: 300_000 });
      console.error(`platform up (batching ${batching ? 'on' : 'off'}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      try {
        rows.push(...(await measure(platform, counter, batching)));
      } finally {
        await platform.stop();
      }
    }
  } finally {
    await counter.close();
    await dbs.drop();
  }
  report(rows);
}

function report(rows: Row[]) {
  const find = (query: string, n: number, batching: boolean) =>
    rows.find((r) => r.query === query && r.n === n && r.batching === batching)!;
  console.log(`\nN+1 benchmark on PostgreSQL, 10k users / 5k products / 100k reviews; ${seconds} s per measurement.`);
  console.log(`Latency with 1 connection; throughput with ${connections} connections.\n`);
  console.log('| query | N | batching | statements/req | p50 ms | p99 ms | req/s |');
  console.log('| --- | ---: | --- | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(
      `| ${r.query} | ${r.n} | ${r.batching ? 'on' : 'off'} | ${r.statements} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} | ${r.requestsPerSecond.toFixed(0)} |`,
    );
  }
  console.log('\n| query | N | statements off/on | p50 off/on | req/s on/off |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const query of Object.keys(QUERIES)) {
    for (const n of SIZES) {
      const on = find(query, n, true);
      const off = find(query, n, false);
      console.log(
        `| ${query} | ${n} | ${(off.statements / on.statements).toFixed(1)}× | ${(off.p50Ms / on.p50Ms).toFixed(2)}× | ${(on.requestsPerSecond / off.requestsPerSecond).toFixed(2)}× |`,
      );
    }
  }
  console.log('\nWith batching on, N = 100 against N = 1 (target: statements equal, p50 within 3×):');
  for (const query of Object.keys(QUERIES)) {
    const one = find(query, 1, true);
    const hundred = find(query, 100, true);
    console.log(`  ${query}: statements ${one.statements} → ${hundred.statements}, p50 ${(hundred.p50Ms / one.p50Ms).toFixed(2)}×`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
