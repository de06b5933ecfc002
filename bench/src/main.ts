/**
 * `pnpm bench:gateway`: Tessera's gateway side by side with stock `@apollo/gateway` and Hive
 * Gateway, each one process pinned to core 0 (subgraphs, PostgreSQL and the load generator on
 * core 1), on The Guild's gateway benchmark and on Tessera's own subgraphs; every answer under
 * load checked. Prints Markdown tables with ratios. Knobs: BENCH_SECONDS (10), BENCH_REPEATS
 * (2), BENCH_CONNECTIONS (50), BENCH_WORKLOADS (guild,deep,mix,platform,replica,zipf,features,defer).
 */
import { cpus } from 'node:os';
import { testToken } from '@tessera/test-helpers';
import { table } from './compare.js';
import { hiveGateway, stockGateway, tesseraGateway } from './gateways.js';
import { benchSettings } from './settings.js';
import { deferTable, runDeferWorkload } from './workloads/defer.js';
import { runGuildWorkload } from './workloads/guild.js';
import { runPlatformWorkload } from './workloads/platform.js';
import { replicaTable, runReplicaWorkload } from './workloads/replica.js';
import { DATA_SET, runStorefrontWorkloads } from './workloads/storefront.js';
import { runZipfWorkload, zipfTable } from './workloads/zipf.js';

const workloads = new Set((process.env.BENCH_WORKLOADS ?? 'guild,deep,mix,platform,replica,zipf,features,defer').split(','));
const settings = benchSettings(await testToken({ sub: '00000000-0000-4000-8000-000000000001', expires: '1d' }));
const tables: string[] = [];
const print = (text: string) => {
  tables.push(text);
};

if (workloads.has('guild')) {
  const kinds = process.env.BENCH_AB
    ? (JSON.parse(process.env.BENCH_AB) as Array<[string, Record<string, string>, { compiled?: boolean }?]>).map(([name, env, how]) =>
        tesseraGateway(name, env, how),
      )
    : [
        tesseraGateway(),
        tesseraGateway('Tessera, V8 default heap', {}, { nodeArgs: [] }),
        stockGateway,
        hiveGateway(true),
        hiveGateway(true, { inboundDedup: true }),
        hiveGateway(false, { inboundDedup: true, routerRuntime: true }),
      ];
  const rows = await runGuildWorkload(settings, kinds, "The Guild's gateway benchmark (TestQuery, 50 clients)");
  print(
    table("The Guild's gateway benchmark", rows, [
      'Hive Gateway + Rust runtime + inbound dedup',
      'Hive Gateway --jit + inbound dedup',
      'stock @apollo/gateway',
    ]),
  );
}

if (workloads.has('deep') || workloads.has('mix')) {
  const { deep, mix } = await runStorefrontWorkloads(
    settings,
    [
      tesseraGateway(),
      stockGateway,
      hiveGateway(true),
      hiveGateway(true, { inboundDedup: true }),
      hiveGateway(false, { inboundDedup: true, routerRuntime: true }),
    ],
    { deep: workloads.has('deep'), mix: workloads.has('mix') },
  );
  const peers = ['Hive Gateway + Rust runtime + inbound dedup', 'Hive Gateway --jit + inbound dedup', 'stock @apollo/gateway'];
  if (deep) print(table("Tessera's graph on PostgreSQL, every client the same deep storefront query", deep, peers, { backends: true }));
  if (mix) print(table("Tessera's graph on PostgreSQL, a storefront mix over varied ids", mix, peers, { backends: true }));
}

if (workloads.has('platform')) {
  const p = await runPlatformWorkload(settings, DATA_SET);
  const cpu = p.cpuMsPerRequest;
  print(
    [
      '### The whole platform on both cores, the storefront mix (Tessera only, nothing pinned)',
      '',
      '| RPS | p50 ms | p95 ms | p99 ms | gateway CPU ms/req | subgraphs CPU ms/req | PostgreSQL CPU ms/req |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      `| ${p.requestsPerSecond.toFixed(0)} | ${p.p50Ms.toFixed(1)} | ${p.p95Ms.toFixed(1)} | ${p.p99Ms.toFixed(1)} | ${cpu.gateway.toFixed(2)} | ${cpu.subgraphs.toFixed(2)} | ${cpu.postgres.toFixed(2)} |`,
    ].join('\n'),
  );
}

if (workloads.has('replica')) print(replicaTable(await runReplicaWorkload(settings, DATA_SET)));

if (workloads.has('zipf')) {
  const { readOnly, writes } = await runZipfWorkload(settings);
  print(
    zipfTable("Zipf(1.0) storefront on Tessera's graph, read-only: caches on and off, Hive Gateway with its response cache", readOnly, [
      'Tessera, cache off',
      'Hive Gateway',
    ]),
  );
  print(zipfTable('Zipf(1.0) storefront with 2 % writes (price changes, new reviews): caches on and off', writes, ['Tessera, cache off']));
}

if (workloads.has('features')) {
  // Every feature on (limits, persisted queries, authentication with a token on each request,
  // request logs) against the same gateway with them off; metrics cannot be switched off.
  const off = { LIMITS_MODE: 'off', PERSISTED_QUERIES_MODE: 'off', LOG_LEVEL: 'warn' };
  const variants = [tesseraGateway('Tessera, features on'), tesseraGateway('Tessera, features off', off, { clientHeaders: {} })];
  const rows = await runGuildWorkload(settings, variants, 'Feature cost (Guild workload)');
  print(
    table(
      "Feature cost: Tessera with limits, persisted queries, authentication and request logs on, against off (The Guild's workload)",
      rows,
      ['Tessera, features off'],
    ),
  );
}

if (workloads.has('defer')) print(deferTable(await runDeferWorkload(settings)));

console.log(
  `\n## pnpm bench:gateway — ${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'unknown CPU'} ×${cpus().length}, Node ${process.version}`,
);
console.log(
  `${settings.load.connections} clients, ${settings.load.repeats} runs of ${settings.load.seconds} s per gateway in A-B-A-B order; gateways on core ${settings.gatewayCore}, everything else on core ${settings.backendCore}.\n`,
);
console.log(tables.join('\n\n'));
process.exit(0);
