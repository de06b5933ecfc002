import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { getFreePort, waitForReady } from '@tessera/test-helpers';

const root = resolve(import.meta.dirname, '../..');

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

/** A gateway process in production mode whose subgraphs all point at `subgraphUrl`. */
export async function spawnBenchGateway(subgraphUrl: string, env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const port = await getFreePort();
  const child = spawn(resolve(root, 'node_modules/.bin/node'), ['--import', 'tsx', 'gateway/src/main.ts'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      NODE_ENV: 'production',
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
