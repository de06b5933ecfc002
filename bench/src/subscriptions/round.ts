import { setTimeout as sleep } from 'node:timers/promises';
import { waitUntil } from '@tessera/test-helpers';
import type { GatewayKind, GatewayLaunch, RunningGateway } from '../gateways.js';
import { fanOutPhase, latencyPhase, openAndProbe, type Bench, type FanOutFigures, type LatencyFigures, type Opened } from './phases.js';
import { processGauge, type ProcessGauge } from './process-gauge.js';
import type { Transport } from './subscribers.js';

/** A gateway of the comparison, and the file descriptors each subscription costs it (a client's connection; Hive's own to the subgraph too). */
export interface SubscriptionGateway {
  kind: GatewayKind;
  filesPerSubscription: number;
}

/** What one round measures of one gateway. */
export interface RoundPlan {
  transport: Transport;
  /** Subscriptions wanted (fewer when the gateway's open-files limit cannot hold them). */
  subscriptions: number;
  productIds: string[];
  /** Events delivered per second aimed at in the latency phases; none for a memory-only round. */
  rates: number[];
  /** Events of the fan-out phase; 0 for none. */
  fanOutEvents: number;
}

/** Idle memory: the gateway's RSS with no subscription (after a warm-up) and with all of them open and idle. */
export interface IdleMemory {
  opened: Opened;
  rssBeforeBytes: number;
  rssAfterBytes: number;
}

/** One gateway's round. */
export interface RoundFigures {
  gateway: string;
  transport: Transport;
  subscriptions: number;
  idle: IdleMemory;
  latency: LatencyFigures[];
  fanOut?: FanOutFigures & { opened: Opened };
}

/**
 * One round on a gateway started afresh: a warm-up (a subscriber per product, an event each),
 * the RSS then; every subscription opened over the products, each shown live, the RSS after 3 s
 * idle; each write rate with all of them connected; then all of them on one product for the fan-out.
 */
export async function runRound(bench: Bench, gateway: SubscriptionGateway, launch: GatewayLaunch, plan: RoundPlan): Promise<RoundFigures> {
  const running = await gateway.kind.start(launch);
  const gauge = processGauge(running.pid);
  const log = (text: string) => console.error(`  ${running.name} (${plan.transport}): ${text}`);
  try {
    const { productIds, transport } = plan;
    const count = subscriptionsThatFit(gauge, gateway.filesPerSubscription, plan.subscriptions, productIds.length);
    await openAndProbe(bench, running.url, productIds, productIds.length, transport);
    await closeAll(bench);
    await sleep(2_000);
    const rssBeforeBytes = gauge.rssBytes();
    const opened = await openAndProbe(bench, running.url, productIds, count, transport);
    await sleep(3_000);
    const idle = { opened, rssBeforeBytes, rssAfterBytes: gauge.rssBytes() };
    log(
      `${opened.subscriptions} open in ${opened.openSeconds.toFixed(1)} s, ${opened.live} live, ${mib(idle.rssBeforeBytes)} → ${mib(idle.rssAfterBytes)} MiB`,
    );
    const latency: LatencyFigures[] = [];
    for (const rate of plan.rates) {
      latency.push(await latencyPhase(bench, gauge, productIds, count / productIds.length, rate));
      log(describeLatency(latency.at(-1)!));
    }
    await closeAll(bench);
    const fanOut = plan.fanOutEvents ? await fanOutRound(bench, running, gauge, count, plan) : undefined;
    return { gateway: running.name, transport, subscriptions: count, idle, latency, fanOut };
  } finally {
    await running.stop();
    await closeAll(bench);
  }
}

async function fanOutRound(bench: Bench, running: RunningGateway, gauge: ProcessGauge, count: number, plan: RoundPlan) {
  const productId = plan.productIds[0]!;
  const opened = await openAndProbe(bench, running.url, [productId], count, plan.transport);
  const figures = await fanOutPhase(bench, gauge, productId, count, plan.fanOutEvents);
  const lasts = figures.events.map((e) => e.last.toFixed(0)).join(', ');
  console.error(`  ${running.name} (${plan.transport}): fan-out to ${opened.live} of ${count}: commit → last subscriber ${lasts} ms`);
  await closeAll(bench);
  return { ...figures, opened };
}

/** Closes every subscriber, and waits until the subgraph serves none of their subscriptions (so the next phase starts clean). */
async function closeAll(bench: Bench): Promise<void> {
  await bench.subscribers.close();
  await waitUntil(async () => (await bench.platform.upstreamSubscriptions()) === 0, {
    timeoutMs: 60_000,
    intervalMs: 200,
    what: "the reviews subgraph's subscriptions to end",
  }).catch((error: Error) => console.error(`  ${error.message}`));
}

/**
 * `wanted`, or the most a whole number per product that the gateway's open-files limit leaves
 * room for, with 500 files to spare for everything else.
 */
function subscriptionsThatFit(gauge: ProcessGauge, filesEach: number, wanted: number, products: number): number {
  const fit = Math.floor((gauge.openFilesLimit() - 500) / filesEach / products) * products;
  return Math.min(wanted, fit);
}

const mib = (bytes: number) => (bytes / 1_048_576).toFixed(0);

function describeLatency(l: LatencyFigures): string {
  const ms = (n: number) => n.toFixed(1);
  return (
    `${l.targetRate}/s target: ${l.writeRate.toFixed(0)} writes/s, ${l.delivered}/${l.expected} delivered, ` +
    `commit → client p50 ${ms(l.fromCommit.p50)} p99 ${ms(l.fromCommit.p99)} ms, gateway CPU ${l.gatewayCpuSeconds.toFixed(2)} s` +
    (l.firstProblem ? ` (${l.firstProblem.slice(0, 120)})` : '')
  );
}
