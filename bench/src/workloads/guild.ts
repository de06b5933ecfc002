import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getFreePort } from '@tessera/test-helpers';
import { compareGateways, type GatewayFigures, type WorkloadOptions } from '../compare.js';
import { repoRoot, type GatewayKind, type RunningGateway } from '../gateways.js';
import { composeGuildSupergraph } from '../guild/supergraph.js';
import { GUILD_TEST_QUERY } from '../guild/query.js';
import { answersOk, spawnPinned } from '../processes.js';
import type { BenchSettings } from '../settings.js';

/**
 * The Guild's gateway benchmark: its four subgraphs (answering from memory, on the other core)
 * and its `TestQuery` from every client.
 */
export async function runGuildWorkload(settings: BenchSettings, kinds: GatewayKind[], title: string): Promise<GatewayFigures[]> {
  const port = await getFreePort();
  const subgraphs = await spawnPinned(
    'guild subgraphs',
    settings.backendCore,
    [settings.node, '--import', 'tsx', 'bench/src/guild/server.ts'],
    {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, PORT: String(port) },
      ready: answersOk(`http://127.0.0.1:${port}/health`),
    },
  );
  const supergraphPath = join(settings.workDir, 'guild-supergraph.graphql');
  writeFileSync(
    supergraphPath,
    composeGuildSupergraph((name) => `http://127.0.0.1:${port}/${name}`),
  );
  const gateways: RunningGateway[] = [];
  try {
    for (const kind of kinds) gateways.push(await kind.start({ core: settings.gatewayCore, supergraphPath, env: settings.tesseraEnv }));
    const options: WorkloadOptions = {
      ...settings.load,
      title,
      requests: [{ body: JSON.stringify({ query: GUILD_TEST_QUERY }) }],
      headers: settings.clientHeaders,
      backends: [subgraphs],
    };
    return await compareGateways(gateways, options);
  } finally {
    await Promise.all([...gateways, subgraphs].map((p) => p.stop()));
  }
}
