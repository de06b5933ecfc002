/**
 * A canned subgraph and gateways in front of it (`pnpm bench:cost`, `pnpm bench:apq`): the
 * gateway's own work is all that is measured.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { getFreePort, TEST_AUTH_ENV, waitForReady } from '@tessera/test-helpers';
import { repoRoot } from './gateways.js';

/** A stand-in subgraph answering every request with `answer` (set it per measured query). */
export async function startCannedSubgraph(): Promise<{ url: string; answer: { body: string }; server: Server }> {
  const answer = { body: '{"data":{}}' };
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(answer.body);
    });
  });
  const port = await getFreePort();
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${port}/graphql`, answer, server };
}

/** A gateway process in production mode (the test keys for tokens and request signing) whose subgraphs all point at `subgraphUrl`. */
export async function spawnBenchGateway(subgraphUrl: string, env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const port = await getFreePort();
  const child = spawn(resolve(repoRoot, 'node_modules/.bin/node'), ['--import', 'tsx', 'gateway/src/main.ts'], {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      ...TEST_AUTH_ENV,
      LOG_LEVEL: 'error',
      HOST: '127.0.0.1',
      GATEWAY_PORT: String(port),
      GATEWAY_METRICS_PORT: String(await getFreePort()),
      SUBGRAPH_USERS_URL: subgraphUrl,
      SUBGRAPH_PRODUCTS_URL: subgraphUrl,
      SUBGRAPH_REVIEWS_URL: subgraphUrl,
      ...env,
    },
  });
  await waitForReady(`http://127.0.0.1:${port}/health`, child, 60_000, () => '');
  return { url: `http://127.0.0.1:${port}/graphql`, child };
}

/** The `i`-th product of a canned answer, as the products subgraph would give it. */
export const cannedProduct = (i: number) => ({
  __typename: 'Product',
  id: `id-${i}`,
  sku: `SKU-${i}`,
  name: `Product ${i}`,
  description: 'A thing.',
  inStock: true,
  price: { __typename: 'Money', amount: 100 * i, currency: 'USD' },
  createdAt: '2026-01-01T00:00:00.000Z',
});
