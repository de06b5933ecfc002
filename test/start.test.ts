/**
 * `pnpm start` as an operator runs it: it builds (when the build is stale) and runs the
 * compiled services with Node alone — no TypeScript loader in any process — in production
 * mode, on the embedded databases here (free ports, fresh data directories).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  commandLine,
  freeServicePorts,
  postGraphQL,
  processTree,
  serviceAddressEnv,
  SERVICES,
  stopProcessGroup,
  TEST_AUTH_ENV,
  testToken,
  waitUntil,
} from '@tessera/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
let start: ChildProcess;
let output = '';
let dataRoot: string;
let gateway: string;

beforeAll(async () => {
  dataRoot = await mkdtemp(join(tmpdir(), 'tessera-start-'));
  const ports = await freeServicePorts();
  gateway = `http://127.0.0.1:${ports.ports.gateway}`;
  const readiness = SERVICES.map((service) => `http://127.0.0.1:${ports.ports[service]}/ready`);
  start = spawn('pnpm', ['start'], {
    cwd: root,
    // Its own process group, which SIGTERM reaches as a whole.
    detached: true,
    env: {
      ...process.env,
      ...TEST_AUTH_ENV,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      EMBEDDED_DATABASE: 'true',
      SEED_ON_EMPTY: 'true',
      SEED_USERS: '6',
      SEED_PRODUCTS: '3',
      SEED_REVIEWS: '12',
      ...serviceAddressEnv(ports, dataRoot),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [start.stdout!, start.stderr!]) stream.on('data', (chunk) => (output += String(chunk)));
  await waitUntil(
    async () => {
      if (start.exitCode !== null) throw new Error(`pnpm start exited ${start.exitCode}:\n${output}`);
      const statuses = await Promise.all(readiness.map(async (url) => (await fetch(url).catch(() => undefined))?.status));
      return statuses.every((status) => status === 200);
    },
    { timeoutMs: 240_000, intervalMs: 500, what: 'every service of pnpm start to be ready' },
  );
}, 300_000);

afterAll(async () => {
  await stopProcessGroup(start);
  await rm(dataRoot, { recursive: true, force: true });
});

describe('pnpm start', () => {
  it('runs the four compiled services with plain Node, source maps on, and no TypeScript loader anywhere', () => {
    const processes = processTree(start.pid!).flatMap((pid) => commandLine(pid) ?? []);
    expect(processes.filter((cmd) => /tsx|\.ts\b/.test(cmd))).toEqual([]);
    const services = processes.filter((cmd) => /^(\S*\/)?node (--\S+ )*\S+\/dist\/main\.js$/.test(cmd)).sort();
    expect(services).toHaveLength(4);
    for (const cmd of services) expect(cmd).toMatch(/^(\S*\/)?node --conditions=tessera-dist --enable-source-maps /);
    expect(services.map((cmd) => cmd.split(' ').at(-1))).toEqual([
      'gateway/dist/main.js',
      'subgraphs/products/dist/main.js',
      'subgraphs/reviews/dist/main.js',
      'subgraphs/users/dist/main.js',
    ]);
  });

  it('serves the federated graph in production mode: data across subgraphs, no Sandbox', async () => {
    const token = await testToken({ sub: '00000000-0000-4000-8000-000000000001' });
    // As a client that states no media type.
    const { body } = await postGraphQL<{ topProducts: Array<{ name: string; reviews: unknown }> }>(
      `${gateway}/graphql`,
      { query: '{ topProducts(first: 2) { name reviews(first: 1) { edges { node { rating author { username } } } } } }' },
      { accept: '*/*', authorization: `Bearer ${token}` },
    );
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    expect(body.data?.topProducts).toHaveLength(2);
    const page = await fetch(`${gateway}/graphql`, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toMatch(/sandbox/i);
  });
});
