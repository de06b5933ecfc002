/**
 * `pnpm bench:apq`: what automatic persisted queries save and cost. Two gateways in front
 * of a canned subgraph — one with the in-memory APQ cache, one on Redis — are driven with
 * the full query text and with an APQ hit (hash only). Prints request bytes and throughput
 * with the ratios from one run, and Redis's round-trip time per lookup.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { requireEnv } from '@tessera/test-helpers';
import { spawnBenchGateway, startCannedSubgraph } from './fixtures.js';
import { runLoad } from './load.js';

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
    edges: Array.from({ length: 10 }, (_, i) => ({
      cursor: `c${i}`,
      node: {
        __typename: 'Product',
        id: `id-${i}`,
        sku: `SKU-${i}`,
        name: `Product ${i}`,
        description: 'A thing.',
        inStock: true,
        price: { __typename: 'Money', amount: 999, currency: 'USD' },
        createdAt: '2026-01-01T00:00:00.000Z',
      },
    })),
    pageInfo: { hasNextPage: true, endCursor: 'c9' },
  },
};

async function main() {
  const redisUrl = requireEnv('TEST_REDIS_URL');
  const prefix = `bench-${randomBytes(4).toString('hex')}:`;
  const subgraph = await startCannedSubgraph();
  subgraph.answer.body = JSON.stringify({ data: DATA });
  const gateways = {
    memory: await spawnBenchGateway(subgraph.url, {}),
    redis: await spawnBenchGateway(subgraph.url, { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix }),
  };
  const variables = { first: 10, after: null };
  const extensions = { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(QUERY).digest('hex') } };
  const bodies = {
    full: JSON.stringify({ query: QUERY, variables }),
    apq: JSON.stringify({ variables, extensions }),
  };

  const rows: Array<{ cache: string; request: string; bytes: number; rps: number; p50: number }> = [];
  const redis = new Redis(redisUrl);
  try {
    for (const [cache, gateway] of Object.entries(gateways)) {
      // Register the query once, so that every hash-only request below is a hit.
      await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: QUERY, variables, extensions }),
      });
      for (const [request, body] of Object.entries(bodies)) {
        const check = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const answer = (await check.json()) as { errors?: unknown };
        if (answer.errors) throw new Error(`${cache}/${request}: ${JSON.stringify(answer.errors)}`);
      }
      // Alternate full/APQ twice and keep each one's better run: both see the same warm process.
      const best = new Map<string, { rps: number; p50: number }>();
      for (let round = 0; round < 2; round++) {
        for (const [request, body] of Object.entries(bodies)) {
          const result = await runLoad({ url: gateway.url, body, connections, seconds });
          if ((best.get(request)?.rps ?? 0) < result.requestsPerSecond)
            best.set(request, { rps: result.requestsPerSecond, p50: result.p50Ms });
        }
      }
      for (const [request, body] of Object.entries(bodies))
        rows.push({ cache, request, bytes: Buffer.byteLength(body), ...best.get(request)! });
    }

    // Redis's own round trip for one lookup, as the gateway makes it (GET of the APQ key).
    const key = `${prefix}apq:${extensions.persistedQuery.sha256Hash}`;
    const samples: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      const started = process.hrtime.bigint();
      await redis.get(key);
      samples.push(Number(process.hrtime.bigint() - started) / 1_000);
    }
    samples.sort((a, b) => a - b);
    const find = (cache: string, request: string) => rows.find((r) => r.cache === cache && r.request === request)!;

    console.log(`\nAPQ benchmark: ${seconds} s per run, ${connections} connections, best of 2 alternating runs, canned subgraph.\n`);
    console.log('| cache | request | request bytes | req/s | p50 ms |');
    console.log('| --- | --- | ---: | ---: | ---: |');
    for (const r of rows)
      console.log(
        `| ${r.cache} | ${r.request === 'apq' ? 'APQ hit (hash only)' : 'full query'} | ${r.bytes} | ${r.rps.toFixed(0)} | ${r.p50} |`,
      );
    console.log('\n| ratio | value |');
    console.log('| --- | ---: |');
    console.log(`| request bytes, APQ hit / full query | ${(bodies.apq.length / bodies.full.length).toFixed(2)} |`);
    console.log(
      `| throughput, APQ hit / full query (in-memory) | ${(find('memory', 'apq').rps / find('memory', 'full').rps).toFixed(2)} |`,
    );
    console.log(`| throughput, APQ hit / full query (Redis) | ${(find('redis', 'apq').rps / find('redis', 'full').rps).toFixed(2)} |`);
    console.log(`| throughput, APQ hit on Redis / in-memory | ${(find('redis', 'apq').rps / find('memory', 'apq').rps).toFixed(2)} |`);
    console.log(
      `\nRedis round trip per lookup: p50 ${samples[1_000]!.toFixed(0)} µs, p99 ${samples[1_980]!.toFixed(0)} µs (one GET per hash-only request).`,
    );
  } finally {
    await redis.del(`${prefix}apq:${extensions.persistedQuery.sha256Hash}`);
    redis.disconnect();
    for (const { child } of Object.values(gateways)) child.kill('SIGTERM');
    subgraph.server.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
