import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSubgraphDatabases, processTree, requireEnv, startPlatform, SUBGRAPH_NAMES } from '@tessera/test-helpers';
import { captureAnswers, runLoad, type LoadFigures } from '../load.js';
import { measureUsage, pin, type Measured } from '../processes.js';
import type { BenchSettings } from '../settings.js';
import { discoverCatalog, storefrontMix } from './storefront-queries.js';

/** What the whole platform did with the storefront mix. */
export interface PlatformFigures extends LoadFigures {
  /** CPU milliseconds per request: the gateway, the three subgraphs together, PostgreSQL. */
  cpuMsPerRequest: { gateway: number; subgraphs: number; postgres: number };
}

/**
 * The whole platform on the whole machine: gateway, subgraphs, PostgreSQL and the load
 * generator free to use both cores (nothing pinned), the storefront mix through the gateway
 * as `pnpm start` runs it (every feature on, clients with a token). Every answer is checked.
 */
export async function runPlatformWorkload(settings: BenchSettings, dataSet: Record<string, string>): Promise<PlatformFigures> {
  const dbs = await createSubgraphDatabases('bench');
  const platform = await startPlatform({ env: { ...dataSet, ...dbs.env, ...settings.tesseraEnv }, readyTimeoutMs: 600_000 });
  try {
    const postmaster = Number(readFileSync(join(requireEnv('TEST_SERVICES_DIR'), 'postgres/data/postmaster.pid'), 'utf8').split('\n')[0]);
    const services: Measured[] = [...SUBGRAPH_NAMES, 'gateway' as const].map((name) => ({ name, pid: platform.pid(name) }));
    // The bench itself runs on one core, and what it starts inherits that: give everything both.
    for (const pid of [process.pid, ...services.map((s) => s.pid), ...processTree(postmaster)]) await pin(pid, '0,1');
    const graphql = async (query: string, variables: Record<string, unknown>) => (await platform.graphql(query, variables)).body.data;
    const requests = storefrontMix(await discoverCatalog(graphql));
    const answers = await captureAnswers(platform.gatewayUrl, requests, settings.clientHeaders);
    const load = (seconds: number, check: boolean) =>
      runLoad({
        url: platform.gatewayUrl,
        requests,
        answers: check ? answers : undefined,
        connections: settings.load.connections,
        seconds,
        headers: settings.clientHeaders,
      });
    await load(settings.load.warmupSeconds.first, false);
    const { result, usage } = await measureUsage([...services, { name: 'postgres', pid: postmaster }], () =>
      load(settings.load.seconds * settings.load.repeats, true),
    );
    const perRequest = (cores: number) => (cores * 1_000) / result.requestsPerSecond;
    return {
      ...result,
      cpuMsPerRequest: {
        gateway: perRequest(usage.gateway!.cpuCores),
        subgraphs: perRequest(SUBGRAPH_NAMES.reduce((sum, name) => sum + usage[name]!.cpuCores, 0)),
        postgres: perRequest(usage.postgres!.cpuCores),
      },
    };
  } finally {
    await platform.stop();
    await dbs.drop();
    // Back where the workloads after this one expect the load generator.
    await pin(process.pid, settings.backendCore);
  }
}
