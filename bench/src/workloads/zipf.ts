import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { testToken, waitUntil } from '@tessera/test-helpers';
import { type GatewayKind, hiveGateway, type RunningGateway, tesseraGateway } from '../gateways.js';
import { comparisonTable, LEAD_COLUMNS, mean, overRuns } from '../compare.js';
import { eightAtATime, post, runLoad, type LoadFigures, type WorkloadRequest } from '../load.js';
import { measureUsage } from '../processes.js';
import type { BenchSettings } from '../settings.js';
import { onStorefrontPlatform } from './storefront.js';
import { zipfStream, type ZipfRequest } from './zipf-queries.js';

/** One gateway's figures on one Zipf phase, over its runs. */
export interface ZipfFigures extends LoadFigures {
  gateway: string;
  runs: number[];
  cpuMsPerRequest: number;
  peakRssMiB: number;
  /** Redis's CPU milliseconds per request while this gateway ran. */
  redisMsPerRequest: number;
  /** Share of lookups that hit, per cache (Tessera's own counters; absent for the peers). */
  hitRates?: Record<string, number>;
  /** Distinct read requests checked against the uncached gateway after the phase. */
  checked: number;
}

/** The text of Tessera's internal `/metrics`, or undefined for a gateway without it (the peers). */
async function metricsOf(gateway: RunningGateway): Promise<string | undefined> {
  return gateway.internalUrl && (await fetch(`${gateway.internalUrl}/metrics`)).text();
}

/** Sums of `cache_lookups_total` by cache and result, from Tessera's internal listener. */
async function lookups(gateway: RunningGateway): Promise<Map<string, number>> {
  const sums = new Map<string, number>();
  const text = (await metricsOf(gateway)) ?? '';
  for (const [, labels, value] of text.matchAll(/^cache_lookups_total\{([^}]*)\} (\S+)$/gm)) {
    const cache = /cache="([^"]+)"/.exec(labels!)![1]!;
    const result = /result="([^"]+)"/.exec(labels!)![1]!;
    sums.set(`${cache}/${result}`, (sums.get(`${cache}/${result}`) ?? 0) + Number(value));
  }
  return sums;
}

function hitRates(before: Map<string, number>, after: Map<string, number>): Record<string, number> | undefined {
  const delta = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
  const caches = new Set([...after.keys()].map((key) => key.split('/')[0]!));
  if (caches.size === 0) return undefined;
  return Object.fromEntries(
    [...caches].map((cache) => [
      cache,
      delta(`${cache}/hit`) / Math.max(1, delta(`${cache}/hit`) + delta(`${cache}/miss`) + delta(`${cache}/stale`)),
    ]),
  );
}

/** Requests a Tessera gateway is serving or holding in its queue now (`http_requests_in_flight` and `_queued`). */
async function requestsInFlight(gateway: RunningGateway): Promise<number> {
  const text = await metricsOf(gateway);
  if (text === undefined) throw new Error(`${gateway.name} has no metrics to tell when its writes are done`);
  let sum = 0;
  for (const [, value] of text.matchAll(/^http_requests_(?:in_flight|queued)(?:\{[^}]*\})? (\S+)$/gm)) sum += Number(value);
  return sum;
}

/**
 * Waits until `gateways` serve nothing: at the end of a run the load generator closes its
 * connections, and the writes it gave up on are still finishing. Three readings in a row, 100 ms
 * apart, must be zero: a request still being parsed or authenticated is not counted yet.
 */
async function untilWritesDone(gateways: RunningGateway[]): Promise<void> {
  let quiet = 0;
  await waitUntil(
    async () => {
      const counts = await Promise.all(gateways.map(requestsInFlight));
      quiet = counts.every((count) => count === 0) ? quiet + 1 : 0;
      return quiet >= 3;
    },
    { timeoutMs: 60_000, intervalMs: 100, what: 'the gateways to finish the writes in flight' },
  );
}

const dataOf = (body: string) => (JSON.parse(body) as { data?: unknown }).data;

/**
 * What each read of a phase was answered, per distinct request: while nothing writes, every
 * answer to the same request must be the same bytes; after the phase each is compared with what
 * the uncached gateway answers now (the database's state).
 */
class Answers {
  private readonly first = new Map<string, string>();
  verify = (request: WorkloadRequest, status: number, body: string): string | undefined => {
    if (status !== 200 || body.includes('"errors"')) return `${status} ${body.slice(0, 300)}`;
    if ((request as ZipfRequest).write) return undefined;
    const seen = this.first.get(request.body);
    if (seen === undefined) this.first.set(request.body, body);
    else if (this.readOnly && seen !== body) return `two answers to ${request.body.slice(0, 200)}`;
    return undefined;
  };
  constructor(private readonly readOnly: boolean) {}
  get requests(): string[] {
    return [...this.first.keys()];
  }
  /** When reads may change (writes), what was answered last is not kept: only which requests were made. */
  answerOf(body: string): string | undefined {
    return this.readOnly ? this.first.get(body) : undefined;
  }
}

/** Each body POSTed to both gateways at the same moment (8 at a time): the data of each pair of answers. */
async function dataFromBoth(
  urls: [string, string],
  bodies: string[],
  headers: [Record<string, string>, Record<string, string>],
): Promise<Array<[unknown, unknown]>> {
  const ask = async (url: string, body: string, own: Record<string, string>) => dataOf((await post(url, body, own)).text);
  return eightAtATime(bodies.length, (i) => Promise.all([ask(urls[0], bodies[i]!, headers[0]), ask(urls[1], bodies[i]!, headers[1])]));
}

interface Phase {
  title: string;
  writeShare: number;
  gateways: RunningGateway[];
  /** The uncached gateway every distinct read is checked against after the phase. */
  reference: RunningGateway;
}

/** One measured run of one gateway in a phase. */
interface ZipfRun {
  load: LoadFigures;
  /** The gateway's CPU (cores busy), its RSS peak, and Redis's CPU meanwhile. */
  cpu: number;
  rss: number;
  redis: number;
  hits?: Record<string, number>;
}

/** `run` (a load run of `gateway`) with the gateway's and Redis's usage beside it, and its caches' hit rates. */
async function measuredRun(gateway: RunningGateway, redisPid: number, title: string, run: () => Promise<LoadFigures>): Promise<ZipfRun> {
  const before = await lookups(gateway);
  const { result, usage } = await measureUsage([gateway, { name: 'redis', pid: redisPid }], run);
  const hits = hitRates(before, await lookups(gateway));
  const own = usage[gateway.name]!;
  console.error(
    `  ${title} · ${gateway.name}: ${result.requestsPerSecond.toFixed(0)} RPS, p99 ${result.p99Ms} ms, CPU ${own.cpuCores.toFixed(2)}, RSS ${own.peakRssMiB.toFixed(0)} MiB${hits ? `, hits ${JSON.stringify(hits)}` : ''}`,
  );
  return { load: result, cpu: own.cpuCores, rss: own.peakRssMiB, redis: usage.redis!.cpuCores, hits };
}

/** One gateway's figures over its runs of a phase. */
function zipfFigures(gateway: string, runs: ZipfRun[], checked: number): ZipfFigures {
  const load = overRuns(runs.map((r) => r.load));
  const { requestsPerSecond } = load;
  const rates =
    runs[0]!.hits && Object.fromEntries(Object.keys(runs[0]!.hits).map((cache) => [cache, mean(runs.map((r) => r.hits?.[cache] ?? 0))]));
  return {
    gateway,
    ...load,
    cpuMsPerRequest: (mean(runs.map((r) => r.cpu)) * 1_000) / requestsPerSecond,
    peakRssMiB: Math.max(...runs.map((r) => r.rss)),
    redisMsPerRequest: (mean(runs.map((r) => r.redis)) * 1_000) / requestsPerSecond,
    hitRates: rates,
    checked,
  };
}

/**
 * One phase: each gateway driven by its own endless Zipf stream (the same seed, so the same
 * requests in the same order; warm-up and runs continue it, so a run does not replay what the
 * warm-up cached), in A-B-A-B order; then every distinct read a cached gateway answered is asked
 * again of it and of the uncached reference, and must agree (a write whose invalidation was lost
 * would leave a stale entry here).
 */
async function runPhase(
  settings: BenchSettings,
  phase: Phase,
  writerHeaders: Record<string, string>,
  catalog: Parameters<typeof zipfStream>[0]['catalog'],
  redisPid: number,
): Promise<ZipfFigures[]> {
  const streams = new Map(
    phase.gateways.map((g) => [
      g,
      { next: zipfStream({ catalog, writeShare: phase.writeShare, writerHeaders }), answers: new Answers(phase.writeShare === 0) },
    ]),
  );
  const load = (gateway: RunningGateway, seconds: number) => {
    const stream = streams.get(gateway)!;
    return runLoad({
      url: gateway.url,
      requests: stream.next,
      verify: stream.answers.verify,
      connections: settings.load.connections,
      seconds,
      headers: gateway.clientHeaders ?? settings.clientHeaders,
    });
  };
  const runs = new Map(phase.gateways.map((g) => [g, [] as ZipfRun[]]));
  for (const gateway of phase.gateways) await load(gateway, settings.load.warmupSeconds.first);
  for (let round = 0; round < settings.load.repeats; round++) {
    for (const gateway of phase.gateways) {
      await load(gateway, settings.load.warmupSeconds.each);
      runs.get(gateway)!.push(await measuredRun(gateway, redisPid, phase.title, () => load(gateway, settings.load.seconds)));
    }
  }
  if (phase.writeShare > 0) await untilWritesDone(phase.gateways);
  const figures: ZipfFigures[] = [];
  for (const gateway of phase.gateways) {
    const { answers } = streams.get(gateway)!;
    const checked = gateway === phase.reference ? 0 : await agreeWithReference(gateway, phase.reference, answers, settings);
    figures.push(zipfFigures(gateway.name, runs.get(gateway)!, checked));
  }
  return figures;
}

/** Every distinct read `gateway` answered, asked again of it and of `reference` at once: the data must agree (and, read-only, agree with what it answered under load). */
async function agreeWithReference(
  gateway: RunningGateway,
  reference: RunningGateway,
  answers: Answers,
  settings: BenchSettings,
): Promise<number> {
  const bodies = answers.requests;
  const headers = settings.clientHeaders;
  const pairs = await dataFromBoth([gateway.url, reference.url], bodies, [
    gateway.clientHeaders ?? headers,
    reference.clientHeaders ?? headers,
  ]);
  bodies.forEach((body, i) => {
    const [now, expected] = pairs[i]!;
    const underLoad = answers.answerOf(body);
    if (!isDeepStrictEqual(now, expected) || (underLoad !== undefined && !isDeepStrictEqual(dataOf(underLoad), expected))) {
      const shown = (value: unknown) => JSON.stringify(value).slice(0, 1_500);
      throw new Error(
        `${gateway.name} disagrees with ${reference.name} on ${body.slice(0, 200)}\n${gateway.name}: ${shown(underLoad === undefined ? now : dataOf(underLoad))}\n${reference.name}: ${shown(expected)}`,
      );
    }
  });
  return bodies.length;
}

/**
 * `zipf`: the storefront with ids drawn Zipf(1.0) over the 10k/5k/100k catalog, gateways pinned
 * to one core, the subgraphs, PostgreSQL and Redis on the other. Read-only: Tessera with its
 * caches on and off, and Hive Gateway with its response cache (in memory, 30 s — the smallest
 * hint of the graph), with and without `--jit`. Then 2 % writes (price changes and new reviews): Tessera cached
 * and uncached. Every answer checked, every distinct read compared with the uncached gateway after.
 */
export async function runZipfWorkload(settings: BenchSettings): Promise<{ readOnly: ZipfFigures[]; writes: ZipfFigures[] }> {
  const prefix = `bench-zipf-${randomBytes(4).toString('hex')}:`;
  const cacheOn = tesseraGateway('Tessera, cache on', { CACHE_MODE: 'on', REDIS_KEY_PREFIX: prefix });
  const cacheOff = tesseraGateway('Tessera, cache off', { CACHE_MODE: 'off', REDIS_KEY_PREFIX: prefix });
  // Hive with its response cache, with and without --jit (its cache warns that --jit's executor bypasses it).
  const kinds: GatewayKind[] = [
    cacheOn,
    cacheOff,
    hiveGateway(true, { responseCacheTtlMs: 30_000 }),
    hiveGateway(false, { responseCacheTtlMs: 30_000 }),
  ];
  // The subgraphs bump their writes' cache tags in the same Redis, under the same prefix.
  return onStorefrontPlatform(
    settings,
    kinds,
    async ({ gateways, catalog, servers }) => {
      const [on, off, ...hives] = gateways as [RunningGateway, RunningGateway, ...RunningGateway[]];
      const writer = await testToken({ sub: catalog.userIds[0]!, scopes: ['products:write'], expires: '1d' });
      const writerHeaders = { authorization: `Bearer ${writer}` };
      const readOnly = await runPhase(
        settings,
        { title: 'Zipf, read-only', writeShare: 0, gateways: [on, off, ...hives], reference: off },
        writerHeaders,
        catalog,
        servers.redis,
      );
      const writes = await runPhase(
        settings,
        { title: 'Zipf, 2 % writes', writeShare: 0.02, gateways: [on, off], reference: off },
        writerHeaders,
        catalog,
        servers.redis,
      );
      return { readOnly, writes };
    },
    { REDIS_URL: settings.tesseraEnv.REDIS_URL!, REDIS_KEY_PREFIX: prefix },
  );
}

/** A Markdown table of one Zipf phase, with ratios against the peers named in `against`. */
export function zipfTable(title: string, rows: ZipfFigures[], against: string[]): string {
  const peers = against.map((name) => rows.find((r) => r.gateway.startsWith(name))).filter((r) => r !== undefined);
  const hits = (r: ZipfFigures) =>
    r.hitRates
      ? Object.entries(r.hitRates)
          .map(([cache, rate]) => `${cache} ${(rate * 100).toFixed(0)} %`)
          .join(', ')
      : '—';
  return comparisonTable(title, rows, peers, [
    ...LEAD_COLUMNS,
    ['p99 ms', (r) => r.p99Ms.toFixed(1)],
    ['CPU ms/req', (r) => r.cpuMsPerRequest.toFixed(2)],
    ['peak RSS MiB', (r) => r.peakRssMiB.toFixed(0)],
    ['Redis CPU ms/req', (r) => r.redisMsPerRequest.toFixed(3)],
    ['hit rate', hits],
    ['reads checked', (r) => String(r.checked || '—')],
  ]);
}
