import { isDeepStrictEqual } from 'node:util';
import {
  createSubgraphDatabases,
  metricSum,
  scrapeMetrics,
  sqlRows,
  startPlatform,
  startReplication,
  SUBGRAPH_NAMES,
  testToken,
  waitUntil,
  type Platform,
  type Replication,
  type ReplicationServer,
  type SubgraphDatabases,
} from '@tessera/test-helpers';
import { mean, overRuns } from '../compare.js';
import { captureAnswers, runLoad, type LoadFigures, type LoadOptions, type WorkloadRequest } from '../load.js';
import { measureUsage, pin, type Measured } from '../processes.js';
import type { BenchSettings } from '../settings.js';
import { discoverCatalog, storefrontMix, type Catalog } from './storefront-queries.js';
import { zipfStream } from './zipf-queries.js';

/** One variant's figures on one phase, over its runs. */
export interface ReplicaFigures extends LoadFigures {
  /** The phase (read-only, or with writes) and the variant (primary only, or reads on the replica). */
  phase: string;
  variant: string;
  /** Each run's requests per second, in order. */
  runs: number[];
  /** Share of the subgraphs' requests whose reads went to the replica (`db_reads_total`). */
  replicaReads: number;
  /** Statements run in the three subgraph databases, per request, on each server (`pg_stat_statements`). */
  statementsPerRequest: Record<ReplicationServer, number>;
  /** CPU milliseconds per request: each server's PostgreSQL process tree, and the gateway with the subgraphs. */
  cpuMsPerRequest: Record<ReplicationServer | 'services', number>;
}

/** The pair, the databases on it, and what every run of the platform needs. */
interface PairBench {
  settings: BenchSettings;
  replication: Replication;
  databases: SubgraphDatabases;
  /** The platform's variables besides a variant's: data set, databases, every feature on, caches off. */
  env: Record<string, string>;
}

/** One way to run the platform on the pair. */
interface Variant {
  name: string;
  /** Every subgraph's `<NAME>_DATABASE_REPLICA_URLS`, or none: primary only. */
  env: Record<string, string>;
}

/** A load run of one started platform: `seconds` long, its answers checked or not (a warm-up). */
type Load = (seconds: number, check: boolean) => Promise<LoadFigures>;

/** What a phase drives through the gateway, and how it checks the answers. */
interface Phase {
  name: string;
  /** Readies a started platform for its runs (the answers to check, say): its load. */
  loadOn(platform: Platform): Promise<Load>;
}

/** One measured run. */
interface ReplicaRun {
  load: LoadFigures;
  replicaReads: number;
  statements: Record<ReplicationServer, number>;
  cpuSeconds: Record<ReplicationServer | 'services', number>;
}

const SERVERS: ReplicationServer[] = ['primary', 'replica'];

/**
 * `replica`: the whole platform as `platform` runs it (nothing pinned, every feature on), on a
 * PostgreSQL primary with one streaming replica of the workload's own (`startReplication`), the
 * caches off so that every read reaches a database. Primary only against every subgraph reading on
 * the replica, on the same databases, in A-B-A-B order (a fresh platform each run): first the
 * storefront mix read-only, every answer checked byte for byte (and each platform's first answers
 * against the first platform's data); then the same pages with 2 % writes (price changes, new
 * reviews) by the caller who reads, every answer a 200 without errors.
 */
export async function runReplicaWorkload(settings: BenchSettings, dataSet: Record<string, string>): Promise<ReplicaFigures[][]> {
  // The bench itself runs on one core, and what it starts inherits that: give everything both (until the
  // workload ends, so that the ones after it run where they expect).
  await pin(process.pid, '0,1');
  const replication = await startReplication();
  try {
    const databases = await createSubgraphDatabases('bench_replica', replication.primaryUrl);
    await countStatementsOnBoth(replication);
    const env = { ...dataSet, ...databases.env, ...settings.tesseraEnv, CACHE_MODE: 'off' };
    const bench: PairBench = { settings, replication, databases, env };
    const replicas = Object.fromEntries(
      SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_DATABASE_REPLICA_URLS`, replication.onReplica(databases.byName[name].url)]),
    );
    const variants: Variant[] = [
      { name: 'primary only', env: {} },
      { name: 'reads on the replica', env: replicas },
    ];
    const catalog = await seed(bench);
    const writer = await testToken({ sub: catalog.userIds[0]!, scopes: ['products:write'], expires: '1d' });
    return [
      await runPhase(bench, readOnlyPhase(settings, catalog), variants),
      await runPhase(bench, writesPhase(settings, catalog, { authorization: `Bearer ${writer}` }), variants),
    ];
  } finally {
    await replication.destroy();
    await pin(process.pid, settings.backendCore);
  }
}

/** `pg_stat_statements` on both servers: created on the primary, and waited for on the replica. */
async function countStatementsOnBoth(replication: Replication): Promise<void> {
  await sqlRows(replication.primaryUrl, 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  await waitUntil(
    async () =>
      (await sqlRows(replication.replicaUrl, "SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'").catch(() => [])).length > 0,
    { timeoutMs: 30_000, intervalMs: 200, what: 'pg_stat_statements on the replica' },
  );
}

/** Fills the databases (the platform's first start seeds them), pages through the catalog, and lets the data settle. */
async function seed(bench: PairBench): Promise<Catalog> {
  const platform = await startPlatform({ env: bench.env, readyTimeoutMs: 600_000 });
  let catalog: Catalog;
  try {
    catalog = await discoverCatalog(async (query, variables) => (await platform.graphql(query, variables)).body.data);
  } finally {
    await platform.stop();
  }
  await settle(bench);
  return catalog;
}

/**
 * `VACUUM (ANALYZE)` of the freshly seeded databases, then waits for the replica to replay it:
 * otherwise the first runs pay for planning without statistics, autovacuum's pass and the first
 * reads' hint bits, and the first variant measured would look the slower.
 */
async function settle({ databases, replication }: PairBench): Promise<void> {
  for (const db of Object.values(databases.byName)) await sqlRows(db.url, 'VACUUM (ANALYZE)');
  const [written] = await sqlRows<{ lsn: string }>(replication.primaryUrl, 'SELECT pg_current_wal_insert_lsn()::text AS lsn');
  const replayed = async () => {
    const sql = 'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done';
    const [row] = await sqlRows<{ done: boolean }>(replication.replicaUrl, sql, [written!.lsn]);
    return row!.done;
  };
  await waitUntil(replayed, { timeoutMs: 120_000, intervalMs: 200, what: 'the replica to replay the seed' });
}

/** The storefront mix, read-only: each platform's answers must carry the first platform's data, then every answer under load its own first bytes. */
function readOnlyPhase(settings: BenchSettings, catalog: Catalog): Phase {
  const requests = storefrontMix(catalog);
  let reference: unknown[] | undefined;
  const dataOf = (body: string) => (JSON.parse(body) as { data?: unknown }).data;
  return {
    name: 'read-only',
    async loadOn(platform) {
      const answers = await captureAnswers(platform.gatewayUrl, requests, settings.clientHeaders);
      reference ??= answers.map(dataOf);
      answers.forEach((answer, i) => {
        if (!isDeepStrictEqual(dataOf(answer), reference![i]))
          throw new Error(`request ${i} (${requests[i]!.body.slice(0, 200)}) answered other data than on the first platform`);
      });
      return (seconds, check) => load(settings, platform, { requests, answers: check ? answers : undefined, seconds });
    },
  };
}

/**
 * The storefront pages over ids drawn uniformly from the catalog (`zipfStream` with s = 0: the
 * mix's shares, one endless stream through every run), 2 % of them writes (half price changes,
 * half new reviews), every request from the one caller who writes.
 */
function writesPhase(settings: BenchSettings, catalog: Catalog, writerHeaders: Record<string, string>): Phase {
  const next = zipfStream({ catalog, writeShare: 0.02, writerHeaders, s: 0 });
  const verify = (_request: WorkloadRequest, status: number, body: string) =>
    status === 200 && !body.includes('"errors"') ? undefined : `${status} ${body.slice(0, 300)}`;
  return {
    name: '2 % writes by the reader',
    loadOn: async (platform) => (seconds, check) =>
      load(settings, platform, { requests: next, verify: check ? verify : undefined, seconds, headers: writerHeaders }),
  };
}

/** A load run of `platform`'s gateway with the run's connections and the clients' headers. */
function load(
  settings: BenchSettings,
  platform: Platform,
  options: Pick<LoadOptions, 'requests' | 'answers' | 'verify' | 'headers'> & { seconds: number },
): Promise<LoadFigures> {
  return runLoad({ url: platform.gatewayUrl, connections: settings.load.connections, headers: settings.clientHeaders, ...options });
}

/** `repeats` rounds of a phase, each variant on a platform of its own in turn (A-B-A-B): each variant's figures. */
async function runPhase(bench: PairBench, phase: Phase, variants: Variant[]): Promise<ReplicaFigures[]> {
  const runs = new Map(variants.map((variant) => [variant, [] as ReplicaRun[]]));
  for (let round = 0; round < bench.settings.load.repeats; round++) {
    for (const variant of variants) {
      const run = await runVariant(bench, phase, variant);
      runs.get(variant)!.push(run);
      console.error(
        `  replica · ${phase.name} · ${variant.name}: ${run.load.requestsPerSecond.toFixed(0)} RPS, replica reads ${(run.replicaReads * 100).toFixed(0)} %, statements ${JSON.stringify(run.statements)}, CPU s ${JSON.stringify(run.cpuSeconds)}`,
      );
    }
  }
  return variants.map((variant) => replicaFigures(phase.name, variant.name, runs.get(variant)!));
}

/** One run: the platform started with the variant's replicas, warmed up, measured, stopped. */
async function runVariant(bench: PairBench, phase: Phase, variant: Variant): Promise<ReplicaRun> {
  const platform = await startPlatform({ env: { ...bench.env, ...variant.env }, readyTimeoutMs: 600_000 });
  try {
    const loadRun = await phase.loadOn(platform);
    await loadRun(bench.settings.load.warmupSeconds.first, false);
    return await measuredRun(bench, platform, () => loadRun(bench.settings.load.seconds, true));
  } finally {
    await platform.stop();
  }
}

/**
 * `work` (a load run) with the statements each server ran meanwhile, the CPU of each server's and
 * the services' trees, and where the reads went. The window opens once the warm-up's last requests
 * are done and closes once the run's are: every statement counted belongs to a request of the run
 * (the up to `connections` the load generator gave up on at its end included).
 */
async function measuredRun(bench: PairBench, platform: Platform, work: () => Promise<LoadFigures>): Promise<ReplicaRun> {
  const services: Measured[] = [...SUBGRAPH_NAMES, 'gateway' as const].map((name) => ({ name, pid: platform.pid(name) }));
  const servers: Measured[] = SERVERS.map((server) => ({ name: server, pid: bench.replication.postmasterPid(server) }));
  await untilQuiet(platform);
  const readsBefore = await readsByTarget(platform);
  const started = performance.now();
  const { result, usage } = await measureUsage([...services, ...servers], async () => {
    const before = await statementCounts(bench);
    const figures = await work();
    await untilQuiet(platform);
    return { figures, statements: statementsBetween(before, await statementCounts(bench)) };
  });
  const seconds = (performance.now() - started) / 1_000;
  const reads = await readsByTarget(platform);
  const cpuSeconds = (processes: Measured[]) => processes.reduce((sum, p) => sum + usage[p.name]!.cpuCores * seconds, 0);
  return {
    load: result.figures,
    replicaReads: (reads.replica - readsBefore.replica) / Math.max(1, reads.all - readsBefore.all),
    statements: result.statements,
    cpuSeconds: { primary: cpuSeconds(servers.slice(0, 1)), replica: cpuSeconds(servers.slice(1)), services: cpuSeconds(services) },
  };
}

/**
 * Waits until no service of `platform` serves or queues a request (`http_requests_in_flight` and
 * `_queued`): three readings in a row, 100 ms apart, since one still being parsed is not counted yet.
 */
async function untilQuiet(platform: Platform): Promise<void> {
  let quiet = 0;
  const busy = async (port: number) => {
    const text = await scrapeMetrics(port);
    return metricSum(text, 'http_requests_in_flight') + metricSum(text, 'http_requests_queued');
  };
  await waitUntil(
    async () => {
      const counts = await Promise.all(Object.values(platform.metricsPorts).map(busy));
      quiet = counts.every((count) => count === 0) ? quiet + 1 : 0;
      return quiet >= 3;
    },
    { timeoutMs: 60_000, intervalMs: 100, what: 'the platform to finish the requests in flight' },
  );
}

/** The subgraphs' requests so far, all and those whose reads went to a replica (`db_reads_total`; none without replicas). */
async function readsByTarget(platform: Platform): Promise<{ all: number; replica: number }> {
  const texts = await Promise.all(SUBGRAPH_NAMES.map((name) => scrapeMetrics(platform.metricsPorts[name])));
  const sum = (labels: Record<string, string>) => texts.reduce((total, text) => total + metricSum(text, 'db_reads_total', labels), 0);
  return { all: sum({}), replica: sum({ target: 'replica' }) };
}

/** What `pg_stat_statements` of one server holds: calls in the subgraph databases, and the entries it has evicted. */
interface StatementCount {
  calls: number;
  evicted: number;
}

/**
 * Each server's count. `pg_stat_statements` counts a statement in shared memory as it ends (no
 * statistics flush to wait for, on the standby either) and keeps each server's own.
 */
async function statementCounts(bench: PairBench): Promise<Record<ReplicationServer, StatementCount>> {
  const names = Object.values(bench.databases.byName).map((db) => db.name);
  const adminUrl = { primary: bench.replication.primaryUrl, replica: bench.replication.replicaUrl };
  const count = async (server: ReplicationServer): Promise<StatementCount> => {
    const [row] = await sqlRows<{ calls: string | null; evicted: string }>(
      adminUrl[server],
      `SELECT (SELECT sum(s.calls) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = ANY($1)) AS calls,
              (SELECT dealloc FROM pg_stat_statements_info) AS evicted`,
      [names],
    );
    return { calls: Number(row!.calls ?? 0), evicted: Number(row!.evicted) };
  };
  const [primary, replica] = await Promise.all(SERVERS.map(count));
  return { primary: primary!, replica: replica! };
}

/** Statements each server ran between two counts; an entry evicted meanwhile would lose its calls, so that fails the run. */
function statementsBetween(
  before: Record<ReplicationServer, StatementCount>,
  after: Record<ReplicationServer, StatementCount>,
): Record<ReplicationServer, number> {
  for (const server of SERVERS)
    if (after[server].evicted !== before[server].evicted)
      throw new Error(`pg_stat_statements evicted entries on the ${server} during the run: its count would be short`);
  return { primary: after.primary.calls - before.primary.calls, replica: after.replica.calls - before.replica.calls };
}

/** One variant's figures over its runs: load as `overRuns`, statements and CPU summed over the runs and divided by their requests. */
function replicaFigures(phase: string, variant: string, runs: ReplicaRun[]): ReplicaFigures {
  const requests = runs.reduce((sum, r) => sum + r.load.requests, 0);
  const perRequest = (of: (run: ReplicaRun) => number) => runs.reduce((sum, r) => sum + of(r), 0) / requests;
  return {
    phase,
    variant,
    ...overRuns(runs.map((r) => r.load)),
    replicaReads: mean(runs.map((r) => r.replicaReads)),
    statementsPerRequest: { primary: perRequest((r) => r.statements.primary), replica: perRequest((r) => r.statements.replica) },
    cpuMsPerRequest: {
      primary: perRequest((r) => r.cpuSeconds.primary * 1_000),
      replica: perRequest((r) => r.cpuSeconds.replica * 1_000),
      services: perRequest((r) => r.cpuSeconds.services * 1_000),
    },
  };
}

/** The workload's table: each phase's pair of rows, the replica's against primary only on the primary's statements and CPU. */
export function replicaTable(phases: ReplicaFigures[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const headings = [
    'phase, variant',
    'RPS',
    'runs',
    'p50 ms',
    'p95 ms',
    'reads on the replica',
    'statements/req primary',
    'statements/req replica',
    'PostgreSQL CPU ms/req primary',
    'PostgreSQL CPU ms/req replica',
    'gateway + subgraphs CPU ms/req',
    'primary statements vs primary only',
    'primary CPU vs primary only',
  ];
  const rows = phases.flatMap((pair) => {
    const base = pair[0]!;
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    return pair.map((r) =>
      line([
        `${r.phase}, ${r.variant}`,
        r.requestsPerSecond.toFixed(0),
        r.runs.map((x) => x.toFixed(0)).join(' / '),
        r.p50Ms.toFixed(1),
        r.p95Ms.toFixed(1),
        `${(r.replicaReads * 100).toFixed(0)} %`,
        r.statementsPerRequest.primary.toFixed(2),
        r.statementsPerRequest.replica.toFixed(2),
        r.cpuMsPerRequest.primary.toFixed(2),
        r.cpuMsPerRequest.replica.toFixed(2),
        r.cpuMsPerRequest.services.toFixed(2),
        ratio(r.statementsPerRequest.primary, base.statementsPerRequest.primary),
        ratio(r.cpuMsPerRequest.primary, base.cpuMsPerRequest.primary),
      ]),
    );
  });
  return [
    '### The whole platform on a PostgreSQL primary with one streaming replica, caches off (`CACHE_MODE=off`): primary only against reads on the replica (Tessera only, nothing pinned)',
    '',
    line(headings),
    `|${headings.map(() => ' --- ').join('|')}|`,
    ...rows,
    '',
    [
      'Statements: `pg_stat_statements` calls (every statement executed, `BEGIN`/`COMMIT` included) in the three subgraph databases on each server,',
      "counted from when the warm-up's last requests are done to when the measured run's are, over the requests answered (a request per client",
      "that a run's end cuts off counts in the statements, not in the requests); with the replica they include each subgraph's look",
      "at both servers every `DATABASE_REPLICA_POLL_MS` (100 ms: 30 statements/s on each server). CPU: each postmaster's whole process tree (the",
      "replica's WAL receiver and replay included) over the same window. Reads on the replica: the subgraphs' requests whose reads went there",
      '(`db_reads_total`). "2 % writes by the reader": the storefront pages over uniformly drawn ids, 2 % price changes and new reviews, every',
      'request from the one caller who writes, so its reads of products and reviews must see its last write.',
    ].join(' '),
  ].join('\n');
}
