/**
 * `pnpm dev` as a new user runs it: embedded databases, demo data, Sandbox, and a printed
 * token that writes a review as its user. (On free ports and fresh data directories, so it
 * runs beside anything else.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { freeServicePorts, postGraphQL, serviceAddressEnv, stopProcessGroup, waitUntil } from '@tessera/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
let dev: ChildProcess;
let output = '';
let dataRoot: string;
let gateway: string;

beforeAll(async () => {
  dataRoot = await mkdtemp(join(tmpdir(), 'tessera-dev-'));
  const ports = await freeServicePorts();
  gateway = `http://127.0.0.1:${ports.ports.gateway}`;
  dev = spawn(resolve(root, 'node_modules/.bin/node'), ['--import', 'tsx', 'scripts/dev.ts'], {
    cwd: root,
    // Its own process group: the test can end all five processes at once, whatever happens.
    detached: true,
    env: {
      ...process.env,
      // As `pnpm dev` runs it: the project's own Node first on PATH (the script starts `node`).
      PATH: `${resolve(root, 'node_modules/.bin')}${delimiter}${process.env.PATH ?? ''}`,
      ...serviceAddressEnv(ports, dataRoot),
      SEED_USERS: '6',
      SEED_PRODUCTS: '3',
      SEED_REVIEWS: '12',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [dev.stdout!, dev.stderr!]) stream.on('data', (chunk) => (output += String(chunk)));
  await waitUntil(() => output.includes('More tokens:') || dev.exitCode !== null, {
    timeoutMs: 90_000,
    intervalMs: 200,
    what: 'pnpm dev to print its tokens',
  });
  if (dev.exitCode !== null) throw new Error(`pnpm dev exited ${dev.exitCode}:\n${output}`);
}, 120_000);

afterAll(async () => {
  await stopProcessGroup(dev);
  await rm(dataRoot, { recursive: true, force: true });
});

/** The printed demo user's id and token. */
function printedUser(): { id: string; token: string } {
  const match = /Demo user \S+ \(([0-9a-f-]{36})\):\s+Authorization: Bearer (\S+)/.exec(output);
  if (!match) throw new Error(`no demo user token in:\n${output}`);
  return { id: match[1]!, token: match[2]! };
}

/** As a client that states no media type (Sandbox's own requests aside). */
const post = async <TData = Record<string, unknown>>(query: string, token?: string) =>
  (await postGraphQL<TData>(`${gateway}/graphql`, { query }, { accept: '*/*', ...(token && { authorization: `Bearer ${token}` }) })).body;

describe('pnpm dev', () => {
  it('prints a demo user token and an admin token, with the Sandbox header to use', () => {
    expect(output).toMatch(/Connection settings → Headers/);
    expect(output.match(/Authorization: Bearer [\w-]+\.[\w-]+\.[\w-]+/g)).toHaveLength(2);
  });

  it("writes a review as the token's user", async () => {
    const { id, token } = printedUser();
    const { data } = await post<{ topProducts: Array<{ id: string }> }>('{ topProducts(first: 1) { id } }');
    const created = await post(
      `mutation { createReview(input: { productId: "${data!.topProducts[0]!.id}", rating: 5, body: "From dev" }) { author { id } } }`,
      token,
    );
    expect(created.errors).toBeUndefined();
    expect(created.data).toEqual({ createReview: { author: { id } } });
  });

  it('starts without a stack trace or a warning: every line of the boot is an expected state', () => {
    expect(output).not.toMatch(/^\s+at /m);
    expect(output).not.toMatch(/"level":(40|50)|WARN|ERROR/);
  });

  it('serves Apollo Sandbox and introspection, as development does', async () => {
    const page = await fetch(`${gateway}/graphql`, { headers: { accept: 'text/html' } });
    expect(await page.text()).toMatch(/sandbox/i);
    expect((await post('{ __schema { queryType { name } } }')).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });
});

describe('Ctrl-C', () => {
  // Last: it stops the platform the other tests use.
  it('stops every service, each draining once, and exits 0 with one line', async () => {
    const exited = new Promise<number | null>((resolve) => dev.once('exit', (code) => resolve(code)));
    // What the terminal (or pnpm, forwarding it) sends; the services, in groups of their own, hear it from dev alone.
    process.kill(-dev.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('Tessera stopped.');
    expect(output).not.toMatch(/exited with code|second signal|^\s+at /m);
    await expect(fetch(`${gateway}/ready`)).rejects.toThrow();
  }, 30_000);
});
