import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createSubgraphDatabases,
  processTree,
  requireEnv,
  startPlatform,
  SUBGRAPH_NAMES,
  TEST_AUTH,
  type Platform,
} from '@tessera/test-helpers';
import { compareGateways, type GatewayFigures, type WorkloadOptions } from '../compare.js';
import { repoRoot, type GatewayKind, type RunningGateway } from '../gateways.js';
import { pin, type Measured } from '../processes.js';
import type { BenchSettings } from '../settings.js';
import { discoverCatalog, STOREFRONT_DEEP, storefrontMix, type Catalog } from './storefront-queries.js';

/** The benchmark data set (as `pnpm bench:n1`): 10,000 users, 5,000 products, 100,000 reviews. */
export const DATA_SET = { SEED_USERS: '10000', SEED_PRODUCTS: '5000', SEED_REVIEWS: '100000' };

/**
 * Tessera's supergraph for the peers: routed to this platform's subgraphs, and with `for:
 * SECURITY` taken off the `@authenticated`/`@requiresScopes` links, which stock Apollo Gateway
 * refuses to serve (the workloads read no protected field). Tessera's gateway reads the
 * repository's own file, routed by SUBGRAPH_<NAME>_URL.
 */
function routedSupergraph(platform: Platform, path: string): string {
  let sdl = readFileSync(join(repoRoot, 'supergraph.graphql'), 'utf8').replaceAll(', for: SECURITY)', ')');
  for (const name of SUBGRAPH_NAMES) {
    sdl = sdl.replace(new RegExp(`(@join__graph\\(name: "${name}", url: ")[^"]*`), `$1http://127.0.0.1:${platform.ports[name]}/graphql`);
  }
  writeFileSync(path, sdl);
  return path;
}

/** PostgreSQL's postmaster (its backends are forked from it, and inherit where it is pinned) and Redis. */
function serverPids(): [postgres: number, redis: number] {
  const dir = requireEnv('TEST_SERVICES_DIR');
  const first = (file: string) => Number(readFileSync(file, 'utf8').split('\n')[0]);
  return [first(join(dir, 'postgres/data/postmaster.pid')), first(join(dir, 'redis/redis.pid'))];
}

function overSocket(url: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('host', join(requireEnv('TEST_SERVICES_DIR'), 'postgres/run'));
  return parsed.href;
}

/** What the storefront workloads measured. */
export interface StorefrontFigures {
  deep: GatewayFigures[];
  mix: GatewayFigures[];
}

/** Tessera's graph at benchmark size, the gateways in front of it, and what to measure beside them. */
export interface StorefrontBench {
  gateways: RunningGateway[];
  catalog: Catalog;
  /** The three subgraphs' processes. */
  subgraphs: Measured[];
  /** PostgreSQL's postmaster and Redis. */
  servers: { postgres: number; redis: number };
  platform: Platform;
}

/**
 * Tessera's own graph: its three subgraphs on PostgreSQL at benchmark size (on the other core,
 * with PostgreSQL and Redis) and every gateway of `kinds` in front of them, pinned; `use` runs
 * the workloads, and everything is stopped and dropped after. `platformEnv` goes to the subgraphs.
 */
export async function onStorefrontPlatform<T>(
  settings: BenchSettings,
  kinds: GatewayKind[],
  use: (bench: StorefrontBench) => Promise<T>,
  platformEnv: Record<string, string> = {},
): Promise<T> {
  const dbs = await createSubgraphDatabases('bench');
  const started = Date.now();
  // BENCH_SUBGRAPH_CPU_PROF=<dir>: V8 CPU profiles of the three subgraphs, written when they stop.
  const profile: Record<string, string> = process.env.BENCH_SUBGRAPH_CPU_PROF
    ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_SUBGRAPH_CPU_PROF}` }
    : {};
  const databaseEnv = process.env.BENCH_PG_SOCKET
    ? Object.fromEntries(Object.entries(dbs.env).map(([k, v]) => [k, overSocket(v)]))
    : dbs.env;
  const platform = await startPlatform({ env: { ...DATA_SET, ...databaseEnv, ...profile, ...platformEnv }, readyTimeoutMs: 600_000 });
  console.error(`  platform seeded and up in ${((Date.now() - started) / 1_000).toFixed(0)} s`);
  const gateways: RunningGateway[] = [];
  try {
    // The platform's own gateway is not measured: each gateway below starts pinned.
    await platform.kill('gateway');
    const subgraphs: Measured[] = SUBGRAPH_NAMES.map((name) => ({ name, pid: platform.pid(name) }));
    const [postgres, redis] = serverPids();
    for (const pid of [...subgraphs.map((s) => s.pid), ...processTree(postgres), redis]) await pin(pid, settings.backendCore);
    const supergraphPath = routedSupergraph(platform, join(settings.workDir, 'tessera-supergraph.graphql'));
    const urls = Object.fromEntries(
      SUBGRAPH_NAMES.map((name) => [`SUBGRAPH_${name.toUpperCase()}_URL`, `http://127.0.0.1:${platform.ports[name]}/graphql`]),
    );
    for (const kind of kinds) {
      gateways.push(
        await kind.start({
          core: settings.gatewayCore,
          supergraphPath,
          env: { ...settings.tesseraEnv, ...urls, SUPERGRAPH_PATH: join(repoRoot, 'supergraph.graphql') },
          signingKeys: TEST_AUTH.signingKeys,
        }),
      );
    }
    const graphql = async (query: string, variables: Record<string, unknown>) => {
      const response = await fetch(gateways[0]!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...settings.clientHeaders },
        body: JSON.stringify({ query, variables }),
      });
      return ((await response.json()) as { data: unknown }).data;
    };
    const catalog = await discoverCatalog(graphql);
    return await use({ gateways, catalog, subgraphs, servers: { postgres, redis }, platform });
  } finally {
    await Promise.all(gateways.map((g) => g.stop()));
    await platform.stop();
    await dbs.drop();
  }
}

/**
 * Every gateway in front of Tessera's graph — once with every client sending the same deep
 * storefront query, once with a storefront mix over varied ids.
 */
export async function runStorefrontWorkloads(
  settings: BenchSettings,
  kinds: GatewayKind[],
  which: { deep: boolean; mix: boolean },
): Promise<Partial<StorefrontFigures>> {
  return onStorefrontPlatform(settings, kinds, async ({ gateways, catalog, subgraphs, servers }) => {
    const base: Omit<WorkloadOptions, 'title' | 'requests'> = {
      ...settings.load,
      headers: settings.clientHeaders,
      backends: subgraphs,
      servers: [{ name: 'PostgreSQL', pid: servers.postgres }],
    };
    return {
      deep: which.deep
        ? await compareGateways(gateways, {
            ...base,
            title: 'Storefront, one deep query',
            requests: [{ body: JSON.stringify({ query: STOREFRONT_DEEP }) }],
          })
        : undefined,
      mix: which.mix ? await compareGateways(gateways, { ...base, title: 'Storefront mix', requests: storefrontMix(catalog) }) : undefined,
    };
  });
}
