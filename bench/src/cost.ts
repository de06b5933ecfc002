/**
 * `pnpm bench:cost`: what operation limits and cost analysis add to the gateway. Two
 * gateways run side by side, one with LIMITS_MODE=enforce and one with LIMITS_MODE=off,
 * in front of a canned subgraph (so the gateway's own work is all that is measured — the
 * least favourable case for the analysis), and are driven alternately with the same
 * typical and large queries (and the large one with a new cursor, then a new page size, on
 * every request: the first still hits the cached estimate, the second mostly does not). Prints throughput and latency for each and the on/off ratio, plus
 * the estimator's own time per call.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse } from 'graphql';
import { apiSchemaOf, estimateCost, readCostDirectives } from '@tessera/gateway';
import { cannedProduct, spawnBenchGateway, startCannedSubgraph } from './canned-subgraph.js';
import { repoRoot } from './gateways.js';
import { runLoad, type WorkloadRequest } from './load.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 8);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const medianRun = <T extends { rps: number }>(runs: T[]): T => [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)]!;

const QUERIES = {
  typical: {
    query: `{ topProducts(first: 5) { id name price { amount currency } } }`,
    data: { topProducts: Array.from({ length: 5 }, (_, i) => cannedProduct(i)) },
  },
  large: {
    query: `query Catalogue($first: Int = 100, $after: String) { products(first: $first, after: $after) { edges { cursor node { id sku name description inStock price { amount currency } } } pageInfo { hasNextPage endCursor } } }`,
    data: {
      products: {
        edges: Array.from({ length: 100 }, (_, i) => ({ cursor: `c${i}`, node: cannedProduct(i) })),
        pageInfo: { hasNextPage: true, endCursor: 'c99' },
      },
    },
  },
};

/** A measured case: what the canned subgraph answers, and the requests (one body, or a fresh one each time). */
interface Case {
  name: string;
  data: unknown;
  requests: WorkloadRequest[] | (() => WorkloadRequest);
}

const CASES: Case[] = [
  ...Object.entries(QUERIES).map(([name, q]) => ({
    name,
    data: q.data,
    requests: [{ body: JSON.stringify({ query: q.query, variables: { after: null } }) }],
  })),
  // A new cursor on every request, as a client paging through: the cursor cannot change
  // the estimate, so the cached one is used.
  {
    name: 'large, new cursor each request',
    data: QUERIES.large.data,
    requests: () => ({ body: JSON.stringify({ query: QUERIES.large.query, variables: { after: Math.random().toString(36) } }) }),
  },
  // A new page size on every request (1–100): the estimate depends on it, so most
  // requests are estimated afresh (64 sizes are remembered per document).
  {
    name: 'large, new page size each request',
    data: QUERIES.large.data,
    requests: () => ({
      body: JSON.stringify({ query: QUERIES.large.query, variables: { first: 1 + Math.floor(Math.random() * 100), after: null } }),
    }),
  },
];

interface Row {
  query: string;
  mode: string;
  rps: number;
  p50: number;
  p99: number;
}

/** Each case through the gateway with limits on and off: the median runs, and the median on/off throughput ratio. */
async function measureGateways(): Promise<{ rows: Row[]; ratios: Record<string, number> }> {
  // The canned subgraph answers each query's single fetch with fixed data.
  const subgraph = await startCannedSubgraph();
  const gateways = {
    on: await spawnBenchGateway(subgraph.url, { LIMITS_MODE: 'enforce' }),
    off: await spawnBenchGateway(subgraph.url, { LIMITS_MODE: 'off' }),
  };
  const rows: Row[] = [];
  const ratios: Record<string, number> = {};
  try {
    for (const { name, data, requests } of CASES) {
      subgraph.answer.body = JSON.stringify({ data });
      // Alternate on/off in back-to-back pairs; each pair gives one on/off ratio, and the
      // median ratio over the rounds is reported (robust to drift and to one noisy run).
      const runs: Record<string, Array<{ rps: number; p50: number; p99: number }>> = { on: [], off: [] };
      for (let round = 0; round < rounds; round++) {
        for (const mode of round % 2 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
          const result = await runLoad({ url: gateways[mode].url, requests, connections, seconds, warmupSeconds: 1 });
          runs[mode]!.push({ rps: result.requestsPerSecond, p50: result.p50Ms, p99: result.p99Ms });
        }
      }
      ratios[name] = median(runs.on!.map((on, i) => on.rps / runs.off![i]!.rps));
      const medianRuns = { on: medianRun(runs.on!), off: medianRun(runs.off!) };
      for (const mode of ['on', 'off'] as const) rows.push({ query: name, mode, ...medianRuns[mode] });
    }
  } finally {
    for (const { child } of Object.values(gateways)) child.kill('SIGTERM');
    subgraph.server.close();
  }
  return { rows, ratios };
}

/** The estimator alone, on the same documents, against the committed supergraph: microseconds per call. */
async function estimatorMicros(): Promise<Record<string, number>> {
  const supergraphSdl = await readFile(resolve(repoRoot, 'supergraph.graphql'), 'utf8');
  const schema = apiSchemaOf(supergraphSdl);
  const directives = readCostDirectives(supergraphSdl);
  const perCall: Record<string, number> = {};
  for (const [name, { query }] of Object.entries(QUERIES)) {
    const document = parse(query);
    const iterations = 5_000;
    for (let i = 0; i < 500; i++) estimateCost(schema, document, directives, {});
    const started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) estimateCost(schema, document, directives, {});
    perCall[name] = Number(process.hrtime.bigint() - started) / iterations / 1_000;
  }
  return perCall;
}

async function main() {
  const { rows, ratios } = await measureGateways();
  const perCall = await estimatorMicros();
  console.log(
    `\nCost analysis overhead: ${seconds} s per run, ${connections} connections, ${rounds} alternating on/off pairs (median), canned subgraph.\n`,
  );
  console.log('| query | limits | req/s | p50 ms | p99 ms |');
  console.log('| --- | --- | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.query} | ${r.mode} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} |`);
  console.log('\n| query | throughput on/off (median of pairs) | throughput cost | estimator µs/call |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const name of new Set(rows.map((r) => r.query))) {
    const ratio = ratios[name]!;
    const estimator = perCall[name] === undefined ? '' : perCall[name].toFixed(1);
    console.log(`| ${name} | ${ratio.toFixed(3)} | ${((1 - ratio) * 100).toFixed(1)} % | ${estimator} |`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
