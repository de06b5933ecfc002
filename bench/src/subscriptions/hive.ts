import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { getFreePort } from '@tessera/test-helpers';
import { repoRoot, type GatewayKind } from '../gateways.js';
import { answersOk, spawnPinned } from '../processes.js';

const node = resolve(repoRoot, 'node_modules/.bin/node');
// Installed apart from the workspace by bench/hive/install.sh, as for `pnpm bench:gateway`.
const hiveBin = resolve(repoRoot, 'bench/hive/node_modules/@graphql-hive/gateway/dist/bin.js');

/** How Hive Gateway runs its subscriptions. */
export interface HiveSubscriptionOptions {
  /** `--jit`: its GraphQL execution compiled per document. @default false */
  jit?: boolean;
  /** Hive Router's query planner in Rust (`@graphql-hive/router-runtime`). @default false */
  routerRuntime?: boolean;
}

/**
 * Hive Gateway as its CLI runs it (`hive-gateway supergraph <file> --fork 1`), with
 * bench/src/subscriptions/hive.config.mjs: `pnpm bench:gateway`'s configuration (signing its
 * fetches for Tessera's subgraphs) with its subscriptions to the subgraphs sent as POSTs. Its
 * clients subscribe over GraphQL over SSE (distinct connections) or graphql-transport-ws on
 * /graphql, both on by default.
 */
export function hiveSubscriptionGateway({ jit = false, routerRuntime = false }: HiveSubscriptionOptions = {}): GatewayKind {
  const name = `Hive Gateway${routerRuntime ? ' + Rust runtime' : ''}${jit ? ' --jit' : ''}`;
  return {
    name,
    async start({ core, supergraphPath, signingKeys }) {
      const port = await getFreePort();
      // Its own empty working directory: the CLI would load a gateway.config.* it found there.
      const cwd = mkdtempSync(join(tmpdir(), 'hive-'));
      const config = resolve(repoRoot, 'bench/src/subscriptions/hive.config.mjs');
      const args = [hiveBin, 'supergraph', supergraphPath, '--fork', '1', ...(jit ? ['--jit'] : []), '-h', '127.0.0.1', '-p', String(port)];
      const running = await spawnPinned(name, core, [node, ...args, '-c', config], {
        cwd,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          NODE_ENV: 'production',
          SUBGRAPH_SIGNING_KEYS: signingKeys,
          HIVE_ROUTER_RUNTIME: String(routerRuntime),
        },
        ready: answersOk(`http://127.0.0.1:${port}/readiness`),
      });
      return { ...running, url: `http://127.0.0.1:${port}/graphql` };
    },
  };
}
