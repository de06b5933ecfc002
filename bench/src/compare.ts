import { isDeepStrictEqual } from 'node:util';
import { captureAnswers, runLoad, type LoadFigures, type WorkloadRequest } from './load.js';
import { measureUsage, type Measured } from './processes.js';
import type { RunningGateway } from './gateways.js';

/** How one workload is driven. */
export interface WorkloadOptions {
  title: string;
  requests: WorkloadRequest[];
  connections: number;
  /** Seconds measured per run. */
  seconds: number;
  /** Seconds of load before a gateway's first run (JIT, caches, pools), and before each later run. */
  warmupSeconds: { first: number; each: number };
  /** Runs per gateway, in A-B-A-B order. */
  repeats: number;
  /** Headers every client sends (a bearer token, say). */
  headers?: Record<string, string>;
  /** Processes whose CPU is reported beside the gateways' (the subgraphs). */
  backends?: Measured[];
  /** Database servers whose CPU is reported too (PostgreSQL: its whole process tree). */
  servers?: Measured[];
}

/** One gateway's figures on one workload, over its repeats. */
export interface GatewayFigures extends LoadFigures {
  gateway: string;
  /** Each run's requests per second, in order. */
  runs: number[];
  /** The gateway's CPU, in cores busy (1 = one core), averaged over its runs. */
  cpuCores: number;
  /** Gateway CPU milliseconds per request. */
  cpuMsPerRequest: number;
  peakRssMiB: number;
  /** The backends' CPU (cores busy) while this gateway ran. */
  backendCpuCores: number;
  /** The database servers' CPU (cores busy) while this gateway ran. */
  serverCpuCores: number;
}

const dataOf = (body: string) => (JSON.parse(body) as { data?: unknown }).data;

/** Every gateway must give the same data for every request; returns each one's exact answers. */
async function checkedAnswers(gateways: RunningGateway[], options: WorkloadOptions): Promise<Map<RunningGateway, string[]>> {
  const answers = new Map<RunningGateway, string[]>();
  for (const gateway of gateways)
    answers.set(gateway, await captureAnswers(gateway.url, options.requests, gateway.clientHeaders ?? options.headers));
  const [reference, ...others] = gateways;
  const expected = answers.get(reference!)!.map(dataOf);
  for (const gateway of others) {
    answers.get(gateway)!.forEach((body, i) => {
      if (!isDeepStrictEqual(dataOf(body), expected[i])) {
        throw new Error(
          `${options.title}: ${gateway.name} and ${reference!.name} disagree on request ${i} (${options.requests[i]!.body.slice(0, 200)})`,
        );
      }
    });
  }
  return answers;
}

export const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** One gateway's load figures over its runs: each run's RPS, the means of rate and latencies, the requests and failures summed. */
export function overRuns(loads: LoadFigures[]): LoadFigures & { runs: number[] } {
  return {
    runs: loads.map((l) => l.requestsPerSecond),
    requestsPerSecond: mean(loads.map((l) => l.requestsPerSecond)),
    p50Ms: mean(loads.map((l) => l.p50Ms)),
    p95Ms: mean(loads.map((l) => l.p95Ms)),
    p99Ms: mean(loads.map((l) => l.p99Ms)),
    requests: loads.reduce((sum, l) => sum + l.requests, 0),
    failures: loads.reduce((sum, l) => sum + l.failures, 0),
  };
}

/**
 * Measures `gateways` on one workload, side by side: each answer checked against the others'
 * first, a warm-up each, then `repeats` rounds in A-B-A-B order, every answer under load
 * checked byte for byte.
 */
export async function compareGateways(gateways: RunningGateway[], options: WorkloadOptions): Promise<GatewayFigures[]> {
  const answers = await checkedAnswers(gateways, options);
  const load = (gateway: RunningGateway, seconds: number, check: boolean) =>
    runLoad({
      url: gateway.url,
      requests: options.requests,
      answers: check ? answers.get(gateway) : undefined,
      connections: options.connections,
      seconds,
      headers: gateway.clientHeaders ?? options.headers,
    });
  for (const gateway of gateways) await load(gateway, options.warmupSeconds.first, false);
  const runs = new Map<RunningGateway, Array<{ load: LoadFigures; cpu: number; rss: number; backendCpu: number; serverCpu: number }>>(
    gateways.map((g) => [g, []]),
  );
  for (let round = 0; round < options.repeats; round++) {
    for (const gateway of gateways) {
      if (options.warmupSeconds.each) await load(gateway, options.warmupSeconds.each, false);
      const [backends, servers] = [options.backends ?? [], options.servers ?? []];
      const { result, usage } = await measureUsage([gateway, ...backends, ...servers], () => load(gateway, options.seconds, true));
      const own = usage[gateway.name]!;
      const cpuOf = (processes: Measured[]) => processes.reduce((sum, p) => sum + usage[p.name]!.cpuCores, 0);
      runs
        .get(gateway)!
        .push({ load: result, cpu: own.cpuCores, rss: own.peakRssMiB, backendCpu: cpuOf(backends), serverCpu: cpuOf(servers) });
      console.error(
        `  ${options.title} · ${gateway.name}: ${result.requestsPerSecond.toFixed(0)} RPS, p50 ${result.p50Ms} ms, CPU ${own.cpuCores.toFixed(2)}, RSS ${own.peakRssMiB.toFixed(0)} MiB`,
      );
    }
  }
  return gateways.map((gateway) => {
    const own = runs.get(gateway)!;
    const load = overRuns(own.map((r) => r.load));
    const { requestsPerSecond } = load;
    const cpuCores = mean(own.map((r) => r.cpu));
    return {
      gateway: gateway.name,
      ...load,
      cpuCores,
      cpuMsPerRequest: (cpuCores * 1_000) / requestsPerSecond,
      peakRssMiB: Math.max(...own.map((r) => r.rss)),
      backendCpuCores: mean(own.map((r) => r.backendCpu)),
      serverCpuCores: mean(own.map((r) => r.serverCpu)),
    };
  });
}

/** A column of a comparison table: its heading, and each row's cell. */
export type Column<R> = [heading: string, cell: (row: R) => string];

/** What a comparison table's rows are named and measured against their peers by. */
interface Compared extends LoadFigures {
  gateway: string;
  runs: number[];
  cpuMsPerRequest: number;
}

/** The columns every comparison table starts with. */
export const LEAD_COLUMNS: Array<Column<Compared>> = [
  ['gateway', (r) => r.gateway],
  ['RPS', (r) => r.requestsPerSecond.toFixed(0)],
  ['runs', (r) => r.runs.map((x) => x.toFixed(0)).join(' / ')],
  ['p50 ms', (r) => r.p50Ms.toFixed(1)],
];

/** A Markdown table of `rows` in `columns`, then each row's RPS and CPU per request against each of `peers`. */
export function comparisonTable<R extends Compared>(title: string, rows: R[], peers: R[], columns: Array<Column<R>>): string {
  const against = (peer: R): Array<Column<R>> => [
    [`RPS vs ${peer.gateway}`, (r) => `${(r.requestsPerSecond / peer.requestsPerSecond).toFixed(2)}×`],
    [`CPU/req vs ${peer.gateway}`, (r) => `${(r.cpuMsPerRequest / peer.cpuMsPerRequest).toFixed(2)}×`],
  ];
  const all = [...columns, ...peers.flatMap(against)];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const head = [line(all.map(([heading]) => heading)), `|${all.map(() => ' --- ').join('|')}|`];
  return [`### ${title}`, '', ...head, ...rows.map((r) => line(all.map(([, cell]) => cell(r))))].join('\n');
}

/** A Markdown table of one workload, with each gateway's ratios against the peers named in `against`. */
export function table(title: string, rows: GatewayFigures[], against: string[], { backends = false } = {}): string {
  const peers = against.map((name) => rows.find((r) => r.gateway === name)).filter((r) => r !== undefined);
  const backendColumns: Array<Column<GatewayFigures>> = [
    ['subgraphs CPU', (r) => r.backendCpuCores.toFixed(2)],
    ['PostgreSQL CPU', (r) => r.serverCpuCores.toFixed(2)],
  ];
  return comparisonTable(title, rows, peers, [
    ...LEAD_COLUMNS,
    ['p95 ms', (r) => r.p95Ms.toFixed(1)],
    ['p99 ms', (r) => r.p99Ms.toFixed(1)],
    ['peak RSS MiB', (r) => r.peakRssMiB.toFixed(0)],
    ['gateway CPU', (r) => r.cpuCores.toFixed(2)],
    ['CPU ms/req', (r) => r.cpuMsPerRequest.toFixed(2)],
    ...(backends ? backendColumns : []),
  ]);
}
