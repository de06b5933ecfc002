/** Start-up configuration: a bad variable stops the process with a message naming it. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

async function run(entry: string, env: Record<string, string>) {
  const child = spawn(resolve(root, 'node_modules/.bin/node'), ['--import', 'tsx', entry], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const [code] = await once(child, 'exit');
  return { code: code as number, output };
}

describe('configuration errors', () => {
  it.each([
    ['subgraphs/users/src/main.ts', { USERS_PORT: 'abc' }, 'USERS_PORT'],
    ['subgraphs/reviews/src/main.ts', { REVIEWS_DATABASE_URL: 'mysql://x' }, 'REVIEWS_DATABASE_URL'],
    ['subgraphs/products/src/main.ts', { SEED_ON_EMPTY: 'maybe' }, 'SEED_ON_EMPTY'],
    ['gateway/src/main.ts', { SUPERGRAPH_SOURCE: 'registry' }, 'SUPERGRAPH_SOURCE'],
    ['gateway/src/main.ts', { SUBGRAPH_USERS_URL: 'not a url' }, 'SUBGRAPH_USERS_URL'],
  ])('%s exits 1 naming %o', async (entry, env, variable) => {
    const { code, output } = await run(entry, env);
    expect(code).toBe(1);
    expect(output).toContain(variable);
    expect(output).toContain('Invalid configuration');
    expect(output).not.toMatch(/\n\s+at /);
  }, 30_000);
});
