/**
 * `pnpm bench:apq`: what automatic persisted queries save and cost. Two gateways in front
 * of a canned subgraph — one with the in-memory APQ cache, one on Redis — are driven with
 * the full query text and with an APQ hit (hash only). Prints request bytes and throughput
 * with the ratios from one run, and Redis's round-trip time per lookup.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { requireEnv } from '@tessera/test-helpers';
import { cannedProduct, spawnBenchGateway, startCannedSubgraph } from './canned-subgraph.js';
import { captureAnswers, post, runLoad } from './load.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 8);

// A typical mobile screen: a product list with prices and ratings.
const QUERY = `query ProductList($first: Int!, $after: String) {
  products(first: $first, after: $after) {
    edges { cursor node { id sku name description inStock price { amount currency } createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const DATA = {
  products: {
    edges: Array.from({ length: 10 }, (_, i) => ({ cursor: `c${i}`, node: cannedProduct(i) })),
    pageInfo: { hasNextPage: true, endCursor: 'c9' },
  },
};

const variables = { first: 10, after: null };
const extensions = { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(QUERY).digest('hex') } };
const BODIES = {
  full: JSON.stringify({ query: QUERY, variables }),
  apq: JSON.stringify({ variables, extensions }),
};

interface Row {
  cache: string;
  request: string;
  bytes: number;
  rps: number;
  p50: number;
}

/** The full query and the APQ hit through one gateway: each one's better of two alternating runs. */
async function measureGateway(cache: string, url: string): Promise<Row[]> {
  // Register the query once, so that every hash-only request below is a hit.
  await post(url, JSON.stringify({ query: QUERY, variables, extensions }));
  // Both kinds of request must be answered without errors before they are measured.
  await captureAnswers(
    url,
    Object.values(BODIES).map((body) => ({ body })),
  );
  // Alternate full/APQ twice and keep each one's better run: both see the same warm process.
  const best = new Map<string, { rps: number; p50: number }>();
  for (let round = 0; round < 2; round++) {
    for (const [request, body] of Object.entries(BODIES)) {
      const result = await runLoad({ url, requests: [{ body }], connections, seconds, warmupSeconds: 1 });
      if ((best.get(request)?.rps ?? 0) < result.requestsPerSecond) best.set(request, { rps: result.requestsPerSecond, p50: result.p50Ms });
    }
  }
  return Object.entries(BODIES).map(([request, body]) => ({ cache, request, bytes: Buffer.byteLength(body), ...best.get(request)! }));
}

/** Redis's own round trip for one lookup, as the gateway makes it (GET of the APQ key): 2,000 samples in µs, sorted. */
async function redisRoundTrips(redis: Redis, key: string): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < 2_000; i++) {
    const started = process.hrtime.bigint();
    await redis.get(key);
    samples.push(Number(process.hrtime.bigint() - started) / 1_000);
  }
  return samples.sort((a, b) => a - b);
}

function report(rows: Row[], samples: number[]) {
  const find = (cache: string, request: string) => rows.find((r) => r.cache === cache && r.request === request)!;
  console.log(`\nAPQ benchmark: ${seconds} s per run, ${connections} connections, best of 2 alternating runs, canned subgraph.\n`);
  console.log('| cache | request | request bytes | req/s | p50 ms |');
  console.log('| --- | --- | ---: | ---: | ---: |');
  for (const r of rows)
    console.log(
      `| ${r.cache} | ${r.request === 'apq' ? 'APQ hit (hash only)' : 'full query'} | ${r.bytes} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} |`,
    );
  console.log('\n| ratio | value |');
  console.log('| --- | ---: |');
  console.log(`| request bytes, APQ hit / full query | ${(BODIES.apq.length / BODIES.full.length).toFixed(2)} |`);
  console.log(`| throughput, APQ hit / full query (in-memory) | ${(find('memory', 'apq').rps / find('memory', 'full').rps).toFixed(2)} |`);
  console.log(`| throughput, APQ hit / full query (Redis) | ${(find('redis', 'apq').rps / find('redis', 'full').rps).toFixed(2)} |`);
  console.log(`| throughput, APQ hit on Redis / in-memory | ${(find('redis', 'apq').rps / find('memory', 'apq').rps).toFixed(2)} |`);
  console.log(
    `\nRedis round trip per lookup: p50 ${samples[1_000]!.toFixed(0)} µs, p99 ${samples[1_980]!.toFixed(0)} µs (one GET per hash-only request).`,
  );
}

async function main() {
  const redisUrl = requireEnv('TEST_REDIS_URL');
  const prefix = `bench-${randomBytes(4).toString('hex')}:`;
  const key = `${prefix}apq:${extensions.persistedQuery.sha256Hash}`;
  const subgraph = await startCannedSubgraph();
  subgraph.answer.body = JSON.stringify({ data: DATA });
  const gateways = {
    memory: await spawnBenchGateway(subgraph.url, {}),
    redis: await spawnBenchGateway(subgraph.url, { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix }),
  };
  const redis = new Redis(redisUrl);
  try {
    const rows: Row[] = [];
    for (const [cache, gateway] of Object.entries(gateways)) rows.push(...(await measureGateway(cache, gateway.url)));
    report(rows, await redisRoundTrips(redis, key));
  } finally {
    await redis.del(key);
    redis.disconnect();
    for (const { child } of Object.values(gateways)) child.kill('SIGTERM');
    subgraph.server.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
