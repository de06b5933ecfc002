import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { testToken } from '@tessera/test-helpers';
import { type GatewayKind, hiveGateway, type RunningGateway, tesseraGateway } from '../gateways.js';
import { mean, overRuns } from '../compare.js';
import { HEADERS, runLoad, type LoadFigures, type WorkloadRequest } from '../load.js';
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

/** Sums of `cache_lookups_total` by cache and result, from Tessera's internal listener. */
async function lookups(gateway: RunningGateway): Promise<Map<string, number>> {
  const sums = new Map<string, number>();
  if (!gateway.internalUrl) return sums;
  const text = await (await fetch(`${gateway.internalUrl}/metrics`)).text();
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
  const data: Array<[unknown, unknown]> = new Array(bodies.length);
  const ask = async (url: string, body: string, own: Record<string, string>) =>
    dataOf(await (await fetch(url, { method: 'POST', headers: { ...HEADERS, ...own }, body })).text());
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const i = next++;
      data[i] = await Promise.all([ask(urls[0], bodies[i]!, headers[0]), ask(urls[1], bodies[i]!, headers[1])]);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return data;
}

interface Phase {
  title: string;
  writeShare: number;
  gateways: RunningGateway[];
  /** The uncached gateway every distinct read is checked against after the phase. */
  reference: RunningGateway;
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
  const runs = new Map(
    phase.gateways.map((g) => [
      g,
      [] as Array<{ load: LoadFigures; cpu: number; rss: number; redis: number; hits?: Record<string, number> }>,
    ]),
  );
  for (const gateway of phase.gateways) await load(gateway, settings.load.warmupSeconds.first);
  for (let round = 0; round < settings.load.repeats; round++) {
    for (const gateway of phase.gateways) {
      await load(gateway, settings.load.warmupSeconds.each);
      const before = await lookups(gateway);
      const { result, usage } = await measureUsage([gateway, { name: 'redis', pid: redisPid }], () => load(gateway, settings.load.seconds));
      const hits = hitRates(before, await lookups(gateway));
      runs
        .get(gateway)!
        .push({
          load: result,
          cpu: usage[gateway.name]!.cpuCores,
          rss: usage[gateway.name]!.peakRssMiB,
          redis: usage.redis!.cpuCores,
          hits,
        });
      console.error(
        `  ${phase.title} · ${gateway.name}: ${result.requestsPerSecond.toFixed(0)} RPS, p99 ${result.p99Ms} ms, CPU ${usage[gateway.name]!.cpuCores.toFixed(2)}, RSS ${usage[gateway.name]!.peakRssMiB.toFixed(0)} MiB${hits ? `, hits ${JSON.stringify(hits)}` : ''}`,
      );
    }
  }
  const checked = new Map<RunningGateway, number>();
  for (const gateway of phase.gateways)
    checked.set(
      gateway,
      gateway === phase.reference ? 0 : await agreeWithReference(gateway, phase.reference, streams.get(gateway)!.answers, settings),
    );
  return phase.gateways.map((gateway) => {
    const own = runs.get(gateway)!;
    const load = overRuns(own.map((r) => r.load));
    const { requestsPerSecond } = load;
    const rates =
      own[0]!.hits && Object.fromEntries(Object.keys(own[0]!.hits).map((cache) => [cache, mean(own.map((r) => r.hits?.[cache] ?? 0))]));
    return {
      gateway: gateway.name,
      ...load,
      cpuMsPerRequest: (mean(own.map((r) => r.cpu)) * 1_000) / requestsPerSecond,
      peakRssMiB: Math.max(...own.map((r) => r.rss)),
      redisMsPerRequest: (mean(own.map((r) => r.redis)) * 1_000) / requestsPerSecond,
      hitRates: rates,
      checked: checked.get(gateway)!,
    };
  });
}

/** Every distinct read `gateway` answered, asked again of it and of `reference` at once: the data must agree (and, read-only, agree with what it answered under load). */
async function agreeWithReference(
  gateway: RunningGateway,
  reference: RunningGateway,
  answers: Answers,
  settings: BenchSettings,
): Promise<number> {
  // Writes the load generator gave up on at the end of a run may still be finishing.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
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
  const head = [
    'gateway',
    'RPS',
    'runs',
    'p50 ms',
    'p99 ms',
    'CPU ms/req',
    'peak RSS MiB',
    'Redis CPU ms/req',
    'hit rate',
    'reads checked',
    ...peers.flatMap((p) => [`RPS vs ${p.gateway}`, `CPU/req vs ${p.gateway}`]),
  ];
  const lines = [`### ${title}`, '', `| ${head.join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`];
  for (const r of rows) {
    const hits = r.hitRates
      ? Object.entries(r.hitRates)
          .map(([cache, rate]) => `${cache} ${(rate * 100).toFixed(0)} %`)
          .join(', ')
      : '—';
    const cells = [
      r.gateway,
      r.requestsPerSecond.toFixed(0),
      r.runs.map((x) => x.toFixed(0)).join(' / '),
      r.p50Ms.toFixed(1),
      r.p99Ms.toFixed(1),
      r.cpuMsPerRequest.toFixed(2),
      r.peakRssMiB.toFixed(0),
      r.redisMsPerRequest.toFixed(3),
      hits,
      String(r.checked || '—'),
    ];
    cells.push(
      ...peers.flatMap((p) => [
        `${(r.requestsPerSecond / p.requestsPerSecond).toFixed(2)}×`,
        `${(r.cpuMsPerRequest / p.cpuMsPerRequest).toFixed(2)}×`,
      ]),
    );
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
