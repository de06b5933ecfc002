import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { getFreePort } from '@tessera/test-helpers';
import { answersOk, spawnPinned, type PinnedProcess } from './processes.js';

export const repoRoot = resolve(import.meta.dirname, '../..');
const node = resolve(repoRoot, 'node_modules/.bin/node');
// Installed apart from the workspace, on the benchmark's first run (bench/hive/install.sh).
const hiveBin = resolve(repoRoot, 'bench/hive/node_modules/@graphql-hive/gateway/dist/bin.js');

/** A gateway under test: where to send requests, and its process. */
export interface RunningGateway extends PinnedProcess {
  url: string;
  /** What its clients send besides the body, when not the workload's headers. */
  clientHeaders?: Record<string, string>;
  /** Tessera's internal listener (`/metrics`, `/cache/invalidate`). */
  internalUrl?: string;
}

/** What every gateway is started with. */
export interface GatewayLaunch {
  core: number;
  supergraphPath: string;
  /** Variables for Tessera's gateway (subgraph URLs, credentials, features). */
  env?: Record<string, string>;
  /** In front of Tessera's subgraphs, the peers must sign their requests with this key list. */
  signingKeys?: string;
}

/** One gateway of the comparison: a name and how to start it. */
export interface GatewayKind {
  name: string;
  start(launch: GatewayLaunch): Promise<RunningGateway>;
}

/**
 * The gateway's heap as `pnpm start` sizes it: a 16 MB semi-space and a 192 MB old space keep
 * its RSS under load near 250 MB, for about a fifth less peak throughput than V8's defaults
 * (which let the heap grow to ~500 MB before collecting).
 */
export const GATEWAY_HEAP_ARGS = ['--max-semi-space-size=16', '--max-old-space-size=192'];

/** How production runs a compiled service: workspace packages from their dist/, stack traces mapped to the TypeScript. */
export const COMPILED_NODE_ARGS = ['--conditions=tessera-dist', '--enable-source-maps'];

const baseEnv = (port: number) => ({ PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', PORT: String(port) });

/** Tessera's gateway, as `pnpm start` runs it. */
export function tesseraGateway(
  name = 'Tessera',
  extra: Record<string, string> = {},
  {
    compiled = true,
    clientHeaders,
    nodeArgs = GATEWAY_HEAP_ARGS,
  }: { compiled?: boolean; clientHeaders?: Record<string, string>; nodeArgs?: string[] } = {},
): GatewayKind {
  return {
    name,
    async start({ core, supergraphPath, env = {} }) {
      const port = await getFreePort();
      const metricsPort = await getFreePort();
      // BENCH_CPU_PROF=<dir>: a V8 CPU profile of Tessera's gateway, written when it stops.
      const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', resolve(process.env.BENCH_CPU_PROF)] : [];
      // As `pnpm start` runs it: the compiled JavaScript (`pnpm build`), or the TypeScript through tsx.
      const entry = compiled
        ? [...profile, ...nodeArgs, ...COMPILED_NODE_ARGS, 'gateway/dist/main.js']
        : [...profile, ...nodeArgs, '--import', 'tsx', 'gateway/src/main.ts'];
      const running = await spawnPinned(name, core, [node, ...entry], {
        cwd: repoRoot,
        env: {
          ...baseEnv(port),
          HOST: '127.0.0.1',
          GATEWAY_PORT: String(port),
          GATEWAY_METRICS_PORT: String(metricsPort),
          SUPERGRAPH_SOURCE: 'file',
          SUPERGRAPH_PATH: supergraphPath,
          ...env,
          ...extra,
        },
        ready: answersOk(`http://127.0.0.1:${port}/ready`),
      });
      return { ...running, url: `http://127.0.0.1:${port}/graphql`, clientHeaders, internalUrl: `http://127.0.0.1:${metricsPort}` };
    },
  };
}

/** Stock `@apollo/gateway` on `@apollo/server` (bench/src/peers/stock-gateway.ts). */
export const stockGateway: GatewayKind = {
  name: 'stock @apollo/gateway',
  async start({ core, supergraphPath, signingKeys }) {
    const port = await getFreePort();
    const url = `http://127.0.0.1:${port}/`;
    const running = await spawnPinned('stock', core, [node, '--import', 'tsx', 'bench/src/peers/stock-gateway.ts'], {
      cwd: repoRoot,
      env: { ...baseEnv(port), SUPERGRAPH_PATH: supergraphPath, SUBGRAPH_SIGNING_KEYS: signingKeys },
      ready: answersOk(`${url}?query=%7B__typename%7D`, { headers: { 'apollo-require-preflight': 'true' } }),
    });
    return { ...running, name: 'stock @apollo/gateway', url };
  },
};

/** How Hive Gateway is configured beyond its defaults. */
export interface HiveOptions {
  /** Its deduplication of identical incoming requests (`inboundInflightRequestDeduplication`). */
  inboundDedup?: boolean;
  /** Its response cache (`responseCaching`, in memory as it runs by default), entries living this long. */
  responseCacheTtlMs?: number;
  /**
   * Hive Router's query planner in Rust (`@graphql-hive/router-runtime`), as `--hive-router-runtime`
   * turns it on — set in the config, because the CLI's own import of the package does not resolve
   * from pnpm's store and fell back to the default runtime without a word; the config's own import fails loudly.
   */
  routerRuntime?: boolean;
}

/**
 * Hive Gateway as its CLI runs it: `hive-gateway supergraph <file> --fork 1 [--jit]`, with
 * bench/hive/hive.config.mjs (request signing in front of Tessera's subgraphs; inbound request
 * deduplication, the response cache and the Rust runtime when asked).
 */
export function hiveGateway(
  jit: boolean,
  { inboundDedup = false, responseCacheTtlMs, routerRuntime = false }: HiveOptions = {},
): GatewayKind {
  const name = `Hive Gateway${routerRuntime ? ' + Rust runtime' : ''}${jit ? ' --jit' : ''}${inboundDedup ? ' + inbound dedup' : ''}${responseCacheTtlMs ? ' + response cache' : ''}`;
  return {
    name,
    async start({ core, supergraphPath, signingKeys }) {
      const port = await getFreePort();
      // Its own empty working directory: the CLI would load a gateway.config.* it found there.
      const cwd = mkdtempSync(join(tmpdir(), 'hive-'));
      const config = ['-c', resolve(repoRoot, 'bench/hive/hive.config.mjs')];
      const args = [
        hiveBin,
        'supergraph',
        supergraphPath,
        '--fork',
        '1',
        ...(jit ? ['--jit'] : []),
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        ...config,
      ];
      const running = await spawnPinned(name, core, [node, ...args], {
        cwd,
        env: {
          ...baseEnv(port),
          SUBGRAPH_SIGNING_KEYS: signingKeys,
          HIVE_INBOUND_DEDUP: String(inboundDedup),
          HIVE_RESPONSE_CACHE_TTL_MS: String(responseCacheTtlMs ?? ''),
          HIVE_ROUTER_RUNTIME: String(routerRuntime),
        },
        ready: answersOk(`http://127.0.0.1:${port}/readiness`),
      });
      return { ...running, url: `http://127.0.0.1:${port}/graphql` };
    },
  };
}
