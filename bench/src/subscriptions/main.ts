/**
 * `pnpm bench:subscriptions`: 10,000 concurrent subscriptions on one gateway process — Tessera's,
 * and Hive Gateway's in front of the same subgraphs — each pinned to core 0 (subgraphs,
 * PostgreSQL, Redis, the writer and the subscribers' process on core 1). Per round, on a gateway
 * started afresh: idle RSS per subscription, commit → client latency at each write rate, and one
 * event fanned out to every subscriber of one product; delivered events per gateway CPU second
 * throughout. Prints Markdown tables (medians over the rounds, and their range); asserts nothing.
 *
 * Knobs: BENCH_SUBSCRIPTIONS (10000), BENCH_PRODUCTS (100), BENCH_ROUNDS (3), BENCH_RATES
 * (100,1000,10000: events delivered per second, each write reaching every subscriber of its product), BENCH_PHASE_SECONDS (5), BENCH_FANOUT_EVENTS (3), BENCH_WS_ROUNDS (1: idle memory
 * over WebSockets too), BENCH_HIVE (default | jit | rust), BENCH_GATEWAYS (tessera,hive).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSigningKeys } from '@tessera/service-kit';
import { TEST_AUTH, testToken } from '@tessera/test-helpers';
import { tesseraGateway, type GatewayLaunch } from '../gateways.js';
import { benchSettings } from '../settings.js';
import { hiveSubscriptionGateway } from './hive.js';
import { startLoadGenerator } from './load-generator.js';
import type { Bench } from './phases.js';
import { startSubscriptionPlatform } from './platform.js';
import { printReport } from './print.js';
import { runRound, type RoundFigures, type RoundPlan, type SubscriptionGateway } from './round.js';
import { createReviewWriter, writeAtRate } from './writer.js';

const knob = (name: string, fallback: string) => process.env[name] || fallback;
const options = {
  subscriptions: Number(knob('BENCH_SUBSCRIPTIONS', '10000')),
  products: Number(knob('BENCH_PRODUCTS', '100')),
  rounds: Number(knob('BENCH_ROUNDS', '3')),
  rates: knob('BENCH_RATES', '100,1000,10000').split(',').map(Number),
  phaseSeconds: Number(knob('BENCH_PHASE_SECONDS', '5')),
  fanOutEvents: Number(knob('BENCH_FANOUT_EVENTS', '3')),
  wsRounds: Number(knob('BENCH_WS_ROUNDS', '1')),
  hive: knob('BENCH_HIVE', 'default'),
  gateways: knob('BENCH_GATEWAYS', 'tessera,hive').split(','),
};
const [gatewayCore, backendCore] = [0, 1];
// Tessera as an operator sizes a replica for 10,000 subscriptions (docs/operating.md, Memory): the
// image's heap settings with a 384 MB old space instead of 192, and the limit raised to match.
const TESSERA_HEAP = ['--max-semi-space-size=16', '--max-old-space-size=384'];
const TESSERA_SIZED = { SUBSCRIPTIONS_MAX_TOTAL: String(Math.max(options.subscriptions, 4_000)) };
const hardOpenFilesLimit = () => /^Max open files\s+\d+\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 'unlimited';

// 10,000 connections need as many file descriptors in the gateway and in the load generator (twice
// as many in Hive, which opens one to the subgraph per subscription): the soft limit every process
// started from here inherits raised to the hard one (a gateway then holds what fits under it).
spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${hardOpenFilesLimit()}:`]);

const started = Date.now();
const gateways: SubscriptionGateway[] = [
  ...(options.gateways.includes('tessera')
    ? [{ kind: tesseraGateway('Tessera', TESSERA_SIZED, { nodeArgs: TESSERA_HEAP }), filesPerSubscription: 1 }]
    : []),
  ...(options.gateways.includes('hive')
    ? [{ kind: hiveSubscriptionGateway({ jit: options.hive === 'jit', routerRuntime: options.hive === 'rust' }), filesPerSubscription: 2 }]
    : []),
];
const settings = benchSettings(await testToken({ sub: '00000000-0000-4000-8000-000000000001', expires: '1d' }));
const workDir = mkdtempSync(join(tmpdir(), 'bench-subscriptions-'));
const platform = await startSubscriptionPlatform(backendCore, workDir, options.products);
const subscribers = startLoadGenerator(backendCore);
const [signingKey] = parseSigningKeys(TEST_AUTH.signingKeys);
const writer = createReviewWriter({ url: platform.reviewsUrl, authorId: platform.authorId, signingKey: signingKey! });
const bench: Bench = { platform, subscribers, writer, phaseSeconds: options.phaseSeconds };
const launch: GatewayLaunch = {
  core: gatewayCore,
  supergraphPath: platform.supergraphPath,
  env: { ...settings.tesseraEnv, ...platform.subgraphUrls },
  signingKeys: TEST_AUTH.signingKeys,
};
const sse: RoundPlan = { ...options, transport: 'sse', productIds: platform.productIds };
const byGateway = new Map<string, RoundFigures[]>();
const wsByGateway = new Map<string, RoundFigures[]>();
try {
  // The subgraphs' write path compiled and their pools open before anything is measured.
  await writeAtRate(writer, platform.productIds, 100, 3);
  for (let round = 1; round <= options.rounds; round++) {
    console.error(`round ${round} of ${options.rounds}`);
    for (const gateway of gateways) {
      const figures = await runRound(bench, gateway, launch, sse);
      byGateway.set(figures.gateway, [...(byGateway.get(figures.gateway) ?? []), figures]);
    }
  }
  for (let round = 1; round <= options.wsRounds; round++) {
    for (const gateway of gateways) {
      const figures = await runRound(bench, gateway, launch, { ...sse, transport: 'ws', rates: [], fanOutEvents: 0 });
      wsByGateway.set(figures.gateway, [...(wsByGateway.get(figures.gateway) ?? []), figures]);
    }
  }
} finally {
  await subscribers.stop();
  writer.close();
  await platform.stop();
}
const machine = `${cpus()[0]?.model ?? 'unknown CPU'} ×${cpus().length}, Node ${process.version}`;
printReport({ byGateway, wsByGateway, options, machine, minutes: (Date.now() - started) / 60_000 });
process.exit(0);
