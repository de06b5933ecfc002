import { efficiencyLines, fanOutTable, kibPerSubscription, latencyTable, memoryTable, ratio, type RoundsByGateway } from './report.js';
import { formatSpread, spreadOf } from './stats.js';

/** What a run measured, and how it was run. */
export interface RunReport {
  byGateway: RoundsByGateway;
  /** The idle-memory rounds over WebSockets (none when BENCH_WS_ROUNDS=0). */
  wsByGateway: RoundsByGateway;
  options: { subscriptions: number; products: number; rounds: number; rates: number[]; phaseSeconds: number; wsRounds: number };
  machine: string;
  minutes: number;
}

/** The run's tables, Markdown, on stdout. */
export function printReport({ byGateway, wsByGateway, options, machine, minutes }: RunReport): void {
  const [subject, peer] = [...byGateway.keys()];
  const perProduct = Math.round(options.subscriptions / options.products);
  const lines = [
    `## pnpm bench:subscriptions — ${new Date().toISOString().slice(0, 10)}, ${machine}, ${minutes.toFixed(1)} min`,
    '',
    `${options.subscriptions.toLocaleString('en-US')} subscriptions over GraphQL over SSE (distinct connections), ${options.products} products × ${perProduct} ` +
      'subscribers (subscriber i on product i mod products), each subscriber signed in with a token of its own. Each gateway one ' +
      'process on core 0; subgraphs, PostgreSQL, Redis, the writer and the subscribers on core 1. ' +
      `${options.rounds} rounds per gateway in A-B-A-B order, each on a gateway started afresh: median (lowest–highest over the rounds). ` +
      `Reviews written with createReview straight to the reviews subgraph (signed), ${options.phaseSeconds} s per rate; ` +
      "latency from each review's commit (pg_xact_commit_timestamp) to the subscriber reading it.",
    '',
    '### Idle memory (gateway RSS)',
    '',
    memoryTable(byGateway),
    ...(wsByGateway.size
      ? [
          '',
          `Over WebSockets (graphql-transport-ws, one socket per subscription; ${options.wsRounds} round):`,
          '',
          memoryTable(wsByGateway),
        ]
      : []),
    '',
    `### Commit → client, ${perProduct} subscribers per product, writes round-robin over the products`,
    '',
    latencyTable(byGateway, options.rates),
    '',
    '### Fan-out: one event to every subscriber of one product',
    '',
    fanOutTable(byGateway),
    '',
    ...(subject && peer
      ? [
          `### Delivered events per gateway CPU second, ${subject} against ${peer}`,
          '',
          ...efficiencyLines(byGateway, options.rates, subject, peer),
          '',
        ]
      : []),
    '### Goals',
    '',
    ...goals(byGateway, options.rates, subject, peer),
  ];
  console.log(lines.join('\n'));
}

const GOAL_RATE = 1_000;

function goals(byGateway: RoundsByGateway, rates: number[], subject: string | undefined, peer: string | undefined): string[] {
  const rounds = subject ? (byGateway.get(subject) ?? []) : [];
  if (!rounds.length) return [];
  // The goals' rate: 1,000 events delivered a second, or the nearest rate run.
  const top = [...rates].sort((a, b) => Math.abs(a - GOAL_RATE) - Math.abs(b - GOAL_RATE))[0] ?? GOAL_RATE;
  const at = rounds.map((r) => r.latency.find((l) => l.targetRate === top));
  const p99 = spreadOf(at.map((l) => l?.fromCommit.p99 ?? NaN));
  const reached = spreadOf(at.map((l) => l?.deliveryRate ?? NaN));
  const kib = spreadOf(rounds.map(kibPerSubscription));
  const verdict = (met: boolean) => (met ? 'met' : 'missed');
  const lines = [
    `- p99 commit → client ≤ 50 ms at 1,000 events/s: ${formatSpread(p99)} ms at a ${top.toLocaleString('en-US')} events/s target (${formatSpread(reached, 0)} delivered/s) — ${verdict(p99.median <= 50)}${reached.median < 0.9 * top ? ' at the rate reached, not at the target' : ''}`,
    `- ≤ 30 KiB of gateway RSS per idle subscription: ${formatSpread(kib)} KiB — ${verdict(kib.median <= 30)}`,
  ];
  const peerRounds = peer ? byGateway.get(peer) : undefined;
  if (peerRounds) {
    const perCpu = (r: (typeof rounds)[number]) => {
      const l = r.latency.find((x) => x.targetRate === top);
      return l ? l.delivered / l.gatewayCpuSeconds : NaN;
    };
    const x = ratio(rounds, peerRounds, perCpu);
    lines.push(
      `- ≥ 1.5× ${peer} on delivered events per gateway CPU second (${top.toLocaleString('en-US')} events/s target): ${formatSpread(x, 2)}× — ${verdict(x.median >= 1.5)}`,
    );
  }
  return lines;
}
