import type { LatencyFigures } from './phases.js';
import type { RoundFigures } from './round.js';
import { formatSpread, spreadOf, type Spread } from './stats.js';

/** A Markdown table: a heading row and rows of cells. */
function markdownTable(headings: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(headings), `|${headings.map(() => ' --- ').join('|')}|`, ...rows.map(line)].join('\n');
}

/** The rounds of each gateway, by name, in the order they ran. */
export type RoundsByGateway = Map<string, RoundFigures[]>;

const over = (rounds: RoundFigures[], figure: (round: RoundFigures) => number): Spread => spreadOf(rounds.map(figure));
const cell = (rounds: RoundFigures[], figure: (round: RoundFigures) => number, digits = 1) => formatSpread(over(rounds, figure), digits);
const MIB = 1_048_576;

/** Gateway RSS added per idle subscription, KiB. */
export const kibPerSubscription = (r: RoundFigures) => (r.idle.rssAfterBytes - r.idle.rssBeforeBytes) / r.idle.opened.subscriptions / 1_024;

/** Idle memory: RSS before and after every subscription was opened, and what each one added. */
export function memoryTable(byGateway: RoundsByGateway): string {
  const rows = [...byGateway].map(([name, rounds]) => [
    name,
    rounds[0]!.transport.toUpperCase(),
    cell(rounds, (r) => r.idle.opened.subscriptions, 0),
    cell(rounds, (r) => r.idle.opened.live, 0),
    cell(rounds, (r) => r.idle.rssBeforeBytes / MIB, 0),
    cell(rounds, (r) => r.idle.rssAfterBytes / MIB, 0),
    cell(rounds, (r) => (kibPerSubscription(r) * 1_000) / 1_024, 1),
    cell(rounds, kibPerSubscription, 1),
    cell(rounds, (r) => r.idle.opened.openSeconds, 1),
  ]);
  const headings = ['gateway', 'transport', 'subscriptions', 'live', 'RSS before, MiB', 'RSS idle with all, MiB'];
  return markdownTable([...headings, 'MiB per 1,000', 'KiB per subscription', 'seconds to open all'], rows);
}

const latencyAt = (rate: number) => (r: RoundFigures) => r.latency.find((l) => l.targetRate === rate);

function latencyCells(rounds: RoundFigures[], rate: number): string[] {
  const of = (figure: (l: LatencyFigures) => number, digits = 1) =>
    cell(rounds, (r) => (latencyAt(rate)(r) ? figure(latencyAt(rate)(r)!) : NaN), digits);
  return [
    of((l) => l.targetWriteRate, 0),
    of((l) => l.writeRate, 0),
    of((l) => l.deliveryRate, 0),
    of((l) => (100 * l.delivered) / l.expected, 1),
    of((l) => l.fromCommit.p50),
    of((l) => l.fromCommit.p99),
    of((l) => l.fromCommit.max),
    of((l) => l.fromCreatedAt.p99),
    of((l) => l.delivered / l.gatewayCpuSeconds, 0),
  ];
}

/** Commit → client latency at each write rate, with every subscriber connected. */
export function latencyTable(byGateway: RoundsByGateway, rates: number[]): string {
  const rows = rates.flatMap((rate) =>
    [...byGateway].map(([name, rounds]) => [name, rate.toLocaleString('en-US'), ...latencyCells(rounds, rate)]),
  );
  const headings = [
    'gateway',
    'target events/s',
    'writes/s aimed',
    'writes/s reached',
    'deliveries/s',
    'delivered %',
    'p50 ms',
    'p99 ms',
    'max ms',
  ];
  return markdownTable([...headings, 'p99 ms from createdAt', 'events per gateway CPU s'], rows);
}

/** Events a fan-out round delivered per gateway CPU second. */
export const fanOutPerCpuSecond = (r: RoundFigures) =>
  r.fanOut ? r.fanOut.events.reduce((sum, e) => sum + e.subscribers, 0) / r.fanOut.gatewayCpuSeconds.reduce((a, b) => a + b, 0) : NaN;

/** One event to every subscriber of one product: commit → first, median, 99th percentile, last subscriber. */
export function fanOutTable(byGateway: RoundsByGateway): string {
  const median = (r: RoundFigures, pick: (e: NonNullable<RoundFigures['fanOut']>['events'][number]) => number) =>
    spreadOf(r.fanOut?.events.map(pick) ?? []).median;
  const rows = [...byGateway].map(([name, rounds]) => [
    name,
    cell(rounds, (r) => r.fanOut?.subscribers ?? NaN, 0),
    cell(rounds, (r) => median(r, (e) => e.subscribers), 0),
    cell(rounds, (r) => median(r, (e) => e.first)),
    cell(rounds, (r) => median(r, (e) => e.p50)),
    cell(rounds, (r) => median(r, (e) => e.p99)),
    cell(rounds, (r) => median(r, (e) => e.last)),
    cell(rounds, (r) => spreadOf(r.fanOut?.gatewayCpuSeconds ?? []).median * 1_000, 0),
    cell(rounds, fanOutPerCpuSecond, 0),
  ]);
  const headings = ['gateway', 'subscribers', 'got it', 'commit → first ms', 'p50 ms', 'p99 ms', 'commit → last ms'];
  return markdownTable([...headings, 'gateway CPU ms per event', 'events per gateway CPU s'], rows);
}

/** A figure of one gateway against another's, round by round in the order they ran (A-B-A-B): the median ratio and its range. */
export function ratio(a: RoundFigures[], b: RoundFigures[], figure: (r: RoundFigures) => number): Spread {
  return spreadOf(a.map((round, i) => (b[i] ? figure(round) / figure(b[i]) : NaN)));
}

/** Delivered events per gateway CPU second, each gateway against the first of `peers` in each phase. */
export function efficiencyLines(byGateway: RoundsByGateway, rates: number[], subject: string, peer: string): string[] {
  const [a, b] = [byGateway.get(subject), byGateway.get(peer)];
  if (!a || !b) return [];
  const perCpu = (rate: number) => (r: RoundFigures) => {
    const l = latencyAt(rate)(r);
    return l ? l.delivered / l.gatewayCpuSeconds : NaN;
  };
  const phases: Array<[string, (r: RoundFigures) => number]> = [
    ...rates.map((rate): [string, (r: RoundFigures) => number] => [`${rate.toLocaleString('en-US')} events/s target`, perCpu(rate)]),
    ['fan-out', fanOutPerCpuSecond],
  ];
  return phases.map(([phase, figure]) => `- ${phase}: ${subject} ${formatSpread(ratio(a, b, figure), 2)}× ${peer}`);
}
