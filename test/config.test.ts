/**
 * Start-up configuration: a bad variable stops the process with a message naming it; and the
 * documentation of every variable (docs/configuration.md, .env.example) agrees with the code's defaults.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { GATEWAY_VARIABLE_DEFAULTS } from '@tessera/gateway';
import { subgraphVariableDefaults } from '@tessera/subgraph-kit';
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
  const doc = readFileSync(resolve(root, 'docs/configuration.md'), 'utf8');
  const example = readFileSync(resolve(root, '.env.example'), 'utf8');
  const { defaults, disagreements } = codeDefaults();
  const variables = [...defaults.keys()];

  it('the gateway and the subgraphs agree on the defaults of the variables they share (one row each)', () => {
    expect(disagreements).toEqual([]);
  });
  const rows = tableRows(doc);

  it.each(variables)('%s is in docs/configuration.md and in .env.example', (name) => {
    expect(
      rows.some((row) => row.names.includes(name)),
      `docs/configuration.md has no row for ${name}`,
    ).toBe(true);
    expect(example, `.env.example lacks ${name}`).toMatch(new RegExp(`^${name}=`, 'm'));
  });

  it.each(variables)("%s: the documented default is the code's", (name) => {
    const value = defaults.get(name)!;
    for (const row of rows.filter((r) => r.names.includes(name))) {
      const cell = row.defaultCell;
      if (value === undefined) {
        // Derived (from NODE_ENV, another variable) or required: the cell says so in words.
        expect(cell.replace(/`[^`]*`/g, ''), `${name}: "${cell}" should say in words what it is when unset`).toMatch(/[a-z]{3,}/i);
        continue;
      }
      const written = asWritten(value);
      const own = row.names.length > 1 && row.codes.length === row.names.length ? row.codes[row.names.indexOf(name)] : undefined;
      if (own !== undefined) expect(own, `${name}'s default in "${cell}"`).toBe(written);
      else if (written === 'none') expect(cell, `${name}'s default`).toMatch(/^none\b/);
      else expect(cell.startsWith(`\`${written}\``), `${name}: "${cell}" should begin with \`${written}\``).toBe(true);
    }
  });

  it(".env.example sets each variable to nothing or to the code's default, and names only variables the services read", () => {
    const settable = new RegExp(`^SUBGRAPH_(${SUBGRAPHS.map((s) => s.name.toUpperCase()).join('|')})_(URL|TIMEOUT_MS)$`);
    for (const [, name, value] of example.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)) {
      if (!defaults.has(name!)) {
        expect(name, `.env.example sets ${name}, which no service reads`).toMatch(settable);
        continue;
      }
      if (value === '') continue;
      const written = asWritten(defaults.get(name!));
      // An empty value means the default; anything else must be exactly the default.
      expect(value, `.env.example: ${name}=${value}`).toBe(written === undefined || written === 'none' ? '' : written);
    }
  });
});

/** The subgraphs and the ports their `config.ts` gives `loadSubgraphConfig`. */
const SUBGRAPHS = [
  { name: 'users', defaultPort: 4001 },
  { name: 'products', defaultPort: 4002 },
  { name: 'reviews', defaultPort: 4003 },
];

/** Every variable the services read by name, and what it is when unset (undefined: derived or required). */
function codeDefaults(): { defaults: Map<string, unknown>; disagreements: string[] } {
  const sources = [GATEWAY_VARIABLE_DEFAULTS, ...SUBGRAPHS.map((subgraph) => subgraphVariableDefaults(subgraph))];
  const defaults = new Map<string, unknown>();
  const disagreements: string[] = [];
  for (const source of sources)
    for (const [name, value] of Object.entries(source)) {
      if (defaults.has(name) && JSON.stringify(defaults.get(name)) !== JSON.stringify(value)) disagreements.push(name);
      defaults.set(name, value);
    }
  return { defaults, disagreements };
}

/** A default as the documentation writes it: numbers and booleans as the code does, an empty list as "none", a path in the repository as `./relative`. */
function asWritten(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.length ? value.join(',') : 'none';
  if (typeof value === 'string' && isAbsolute(value) && value.startsWith(root + sep)) return `./${relative(root, value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return value;
  throw new Error(`a default of an unexpected kind: ${JSON.stringify(value)}`);
}

/** The variable tables' rows: the variables a row names (first cell) and its default cell, with the values written in backticks there. */
function tableRows(markdown: string) {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const [, first = '', second = ''] = line.split('|');
      const names = [...first.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1]!);
      const defaultCell = second.trim();
      return { names, defaultCell, codes: [...defaultCell.matchAll(/`([^`]*)`/g)].map((match) => match[1]!) };
    });
}
