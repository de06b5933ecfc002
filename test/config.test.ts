/** Start-up configuration: a bad variable stops the process with a message naming it. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GATEWAY_VARIABLES } from '@tessera/gateway';
import { SUBGRAPH_VARIABLES } from '@tessera/subgraph-kit';
import { describe, expect, it } from 'vitest';
import { TEST_AUTH_ENV } from '@tessera/test-helpers';

const root = resolve(import.meta.dirname, '..');

/** Everything production asks for, so that only the variable under test is wrong. */
const VALID = { NODE_ENV: 'production', ...TEST_AUTH_ENV, EMBEDDED_DATABASE: 'true' };

async function run(entry: string, env: Record<string, string | undefined>) {
  const child = spawn(resolve(root, 'node_modules/.bin/node'), ['--import', 'tsx', entry], {
    cwd: root,
    env: { ...process.env, ...VALID, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += String(chunk)));
  child.stderr.on('data', (chunk) => (output += String(chunk)));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}

describe('configuration errors', () => {
  it.each([
    ['subgraphs/users/src/main.ts', { USERS_PORT: 'abc' }, 'USERS_PORT'],
    ['subgraphs/reviews/src/main.ts', { REVIEWS_DATABASE_URL: 'mysql://x' }, 'REVIEWS_DATABASE_URL'],
    ['subgraphs/products/src/main.ts', { SEED_ON_EMPTY: 'maybe' }, 'SEED_ON_EMPTY'],
    ['gateway/src/main.ts', { SUPERGRAPH_SOURCE: 'registry' }, 'SUPERGRAPH_SOURCE'],
    ['gateway/src/main.ts', { SUBGRAPH_USERS_URL: 'not a url' }, 'SUBGRAPH_USERS_URL'],
    // Production refuses to start on a silent default.
    ['gateway/src/main.ts', { JWT_SECRET: undefined }, 'JWT_JWKS_URL: required outside development'],
    ['gateway/src/main.ts', { JWT_AUDIENCE: undefined }, 'JWT_AUDIENCE: required outside development'],
    ['subgraphs/users/src/main.ts', { SUBGRAPH_SIGNING_KEYS: undefined }, 'SUBGRAPH_SIGNING_KEYS: required outside development'],
    [
      'subgraphs/reviews/src/main.ts',
      { EMBEDDED_DATABASE: undefined, REVIEWS_DATABASE_URL: undefined },
      'REVIEWS_DATABASE_URL: required outside development',
    ],
  ])(
    '%s exits 1 naming %o',
    async (entry, env, variable) => {
      const { code, output } = await run(entry, env);
      expect(code).toBe(1);
      expect(output).toContain(variable);
      expect(output).toContain('Invalid configuration');
      expect(output).not.toMatch(/\n\s+at /);
    },
    30_000,
  );
});

describe('configuration documentation', () => {
  const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('\n## Configuration'), readme.indexOf('\n## ', readme.indexOf('\n## Configuration') + 1));
  const example = readFileSync(resolve(root, '.env.example'), 'utf8');
  const variables = [
    ...new Set([...GATEWAY_VARIABLES, ...SUBGRAPH_VARIABLES.shared, ...SUBGRAPH_VARIABLES.own.map((name) => `USERS_${name}`)]),
  ];

  it.each(variables)('%s is in the README configuration table and in .env.example', (name) => {
    const documented = table.includes(`\`${name}\``) || table.includes(`\`${name.replace(/^USERS_/, '<NAME>_')}\``);
    expect(documented, `README table lacks ${name}`).toBe(true);
    expect(example, `.env.example lacks ${name}`).toMatch(new RegExp(`^${name}=`, 'm'));
  });
});
