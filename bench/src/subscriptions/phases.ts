import { setTimeout as sleep } from 'node:timers/promises';
import { sqlRows } from '@tessera/test-helpers';
import type { LoadGenerator } from './load-generator.js';
import type { SubscriptionPlatform } from './platform.js';
import type { ProcessGauge } from './process-gauge.js';
import type { Commit, Latency, ReviewFanOut } from './recorder.js';
import type { Transport } from './subscribers.js';
import { writeAtRate, type ReviewWriter } from './writer.js';

/** The subscription every subscriber holds: the review with its author's name (users) and its product's name (products). */
export const REVIEW_ADDED =
  'subscription ($p: ID!) { reviewAdded(productId: $p) { id body createdAt author { username } product { name } } }';

/** What every phase runs on. */
export interface Bench {
  platform: SubscriptionPlatform;
  subscribers: LoadGenerator;
  writer: ReviewWriter;
  /** Seconds each rate is written for. */
  phaseSeconds: number;
}

/** Subscriptions opened and each shown to deliver an event. */
export interface Opened {
  subscriptions: number;
  /** Refused, or ended by anything but the benchmark. */
  lost: number;
  /** From the first request to the last subscription taken. */
  openSeconds: number;
  /** Subscribers that had the probe's event (one review per product) within the wait. */
  live: number;
  firstProblem?: string;
}

/**
 * Opens `count` subscriptions on `url`, subscriber i on product i modulo their number, then writes
 * one review per product and waits until every subscriber has it: each subscription is then known
 * to reach through the gateway to the subgraph.
 */
export async function openAndProbe(bench: Bench, url: string, productIds: string[], count: number, transport: Transport): Promise<Opened> {
  const started = performance.now();
  const opened = await bench.subscribers.open({ transport, url, query: REVIEW_ADDED, productIds, count });
  const openSeconds = (performance.now() - started) / 1_000;
  const products = productIds.slice(0, Math.min(count, productIds.length));
  for (const productId of products) await bench.writer.write(productId);
  const live = await deliveries(bench.subscribers, opened.events, count, { stallMs: 10_000, maxMs: 120_000 });
  const now = await bench.subscribers.counts();
  return { subscriptions: opened.open, lost: now.lost, openSeconds, live, firstProblem: now.firstProblem };
}

/** Events the subscribers received since `from`, once `expected` have come or none came for `stallMs` (or `maxMs` passed). */
export async function deliveries(
  subscribers: LoadGenerator,
  from: number,
  expected: number,
  { stallMs = 3_000, maxMs = 60_000 } = {},
): Promise<number> {
  const started = Date.now();
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const received = (await subscribers.counts()).events - from;
    if (received !== last) [last, lastChange] = [received, Date.now()];
    if (received >= expected || Date.now() - lastChange > stallMs || Date.now() - started > maxMs) return received;
    await sleep(20);
  }
}

/** Each review's commit time (`pg_xact_commit_timestamp` of the row's transaction) and its `createdAt`, epoch ms. */
export async function commitsOf(databaseUrl: string, ids: string[]): Promise<Record<string, Commit>> {
  const rows = await sqlRows<{ id: string; committed: string; created: string }>(
    databaseUrl,
    `SELECT id::text AS id,
            extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000 AS committed,
            extract(epoch FROM created_at) * 1000 AS created
       FROM reviews WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  return Object.fromEntries(rows.map((row) => [row.id, { committedAt: Number(row.committed), createdAt: Number(row.created) }]));
}

/** What one event rate did, with every subscriber connected. */
export interface LatencyFigures {
  /** Events delivered per second aimed at: the write rate times each product's subscribers. */
  targetRate: number;
  /** Writes per second aimed at. */
  targetWriteRate: number;
  /** Writes answered per second. */
  writeRate: number;
  writeFailures: number;
  /** Deliveries due: each write times its product's subscribers. */
  expected: number;
  delivered: number;
  /** Deliveries per second, from the first write until the last delivery (or the wait's end). */
  deliveryRate: number;
  fromCommit: Latency;
  fromCreatedAt: Latency;
  /** The gateway's CPU seconds from the first write until the last delivery (or the wait's end). */
  gatewayCpuSeconds: number;
  firstProblem?: string;
}

/**
 * Aims at `rate` events delivered a second: writes `rate / perProduct` reviews a second for the
 * phase's time, round-robin over `productIds` (each with `perProduct` subscribers), waits for the
 * deliveries, and times each from its review's commit.
 */
export async function latencyPhase(bench: Bench, gateway: ProcessGauge, productIds: string[], perProduct: number, rate: number) {
  const { subscribers, writer, platform, phaseSeconds } = bench;
  await subscribers.record();
  const from = (await subscribers.counts()).events;
  const cpuBefore = gateway.cpuSeconds();
  const started = performance.now();
  const writeRate = rate / perProduct;
  const run = await writeAtRate(writer, productIds, writeRate, phaseSeconds);
  const expected = run.writes.length * perProduct;
  const delivered = await deliveries(subscribers, from, expected);
  const gatewayCpuSeconds = gateway.cpuSeconds() - cpuBefore;
  const seconds = (performance.now() - started) / 1_000;
  const report = await subscribers.report(
    await commitsOf(
      platform.reviewsDatabaseUrl,
      run.writes.map((w) => w.id),
    ),
  );
  const figures: LatencyFigures = {
    targetRate: rate,
    targetWriteRate: writeRate,
    writeRate: run.rate,
    writeFailures: run.failures,
    expected,
    delivered,
    deliveryRate: delivered / seconds,
    fromCommit: report.fromCommit,
    fromCreatedAt: report.fromCreatedAt,
    gatewayCpuSeconds,
    firstProblem: run.firstFailure ?? (await subscribers.counts()).firstProblem,
  };
  return figures;
}

/** One event to every subscriber of one product, for each of the phase's events. */
export interface FanOutFigures {
  subscribers: number;
  /** Each event: commit → first, median, 99th percentile and last subscriber, in ms. */
  events: ReviewFanOut[];
  /** The gateway's CPU seconds for each event, from the write until the last delivery. */
  gatewayCpuSeconds: number[];
}

/** Writes `events` reviews of `productId`, one at a time, each once every subscriber had the one before. */
export async function fanOutPhase(bench: Bench, gateway: ProcessGauge, productId: string, subscriberCount: number, events: number) {
  const { subscribers, writer, platform } = bench;
  await subscribers.record();
  const ids: string[] = [];
  const gatewayCpuSeconds: number[] = [];
  for (let i = 0; i < events; i++) {
    const from = (await subscribers.counts()).events;
    const cpuBefore = gateway.cpuSeconds();
    ids.push((await writer.write(productId)).id);
    await deliveries(subscribers, from, subscriberCount, { stallMs: 5_000, maxMs: 60_000 });
    gatewayCpuSeconds.push(gateway.cpuSeconds() - cpuBefore);
    await sleep(500);
  }
  const report = await subscribers.report(await commitsOf(platform.reviewsDatabaseUrl, ids), ids);
  const figures: FanOutFigures = { subscribers: subscriberCount, events: report.perReview ?? [], gatewayCpuSeconds };
  return figures;
}
