/**
 * `pnpm schema:check` on fixture copies of the repository's graph: each outcome with its
 * exit code and message, through the real command.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StepResult } from '../src/index.js';

const root = resolve(import.meta.dirname, '../..');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-schema-check-'));
  for (const name of ['users', 'products', 'reviews']) {
    await cp(join(root, `subgraphs/${name}/schema.graphql`), join(dir, `subgraphs/${name}/schema.graphql`));
  }
  for (const file of ['supergraph.yaml', 'supergraph.graphql', 'schema-checks'])
    await cp(join(root, file), join(dir, file), { recursive: true });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function check(...args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(
      resolve(root, 'node_modules/.bin/node'),
      ['--import', 'tsx', join(root, 'schema-checks/src/main.ts'), '--config', join(dir, 'supergraph.yaml'), ...args],
      { cwd: root, env: { PATH: process.env.PATH } },
      (error, stdout, stderr) => done({ code: error ? Number(error.code) : 0, output: stdout + stderr }),
    );
  });
}

async function edit(path: string, from: string | RegExp, to: string): Promise<void> {
  const text = await readFile(join(dir, path), 'utf8');
  const changed = text.replace(from, to);
  if (changed === text) throw new Error(`fixture edit found nothing to replace in ${path}`);
  await writeFile(join(dir, path), changed);
}

/** A proposed users schema, edited from the committed one. */
async function proposeUsers(from: string | RegExp, to: string): Promise<string> {
  const path = join(dir, 'proposed-users.graphql');
  await writeFile(path, (await readFile(join(dir, 'subgraphs/users/schema.graphql'), 'utf8')).replace(from, to));
  return path;
}

// Each test runs the real command, a process of its own (a second or more under load): the default 5 s is too tight.
describe('pnpm schema:check', { timeout: 30_000 }, () => {
  it('passes on the repository as committed', async () => {
    const { code, output } = await check();
    expect(output).toContain('schema check passed');
    expect(code).toBe(0);
  });

  it('fails on a composition error, naming the subgraphs, location and code', async () => {
    await edit('subgraphs/reviews/schema.graphql', 'hasNextPage: Boolean!', 'hasNextPage: String!');
    const { code, output } = await check();
    expect(code).toBe(1);
    expect(output).toMatch(/FAIL composition/);
    expect(output).toMatch(/\[FIELD_TYPE_MISMATCH\]/);
    expect(output).toMatch(/reviews/);
    expect(output).toMatch(/skip supergraph file/);
  });

  it('fails when supergraph.graphql is stale, saying to run pnpm compose', async () => {
    await edit('subgraphs/products/schema.graphql', '"Product name."', '"The product\'s name."');
    const { code, output } = await check();
    expect(code).toBe(1);
    expect(output).toMatch(/FAIL supergraph file/);
    expect(output).toContain('pnpm compose');
  });

  it('fails on a removed field (breaking)', async () => {
    const proposal = await proposeUsers(/\s+"""\n\s+Email address[^"]*"""\n\s+email: String @authenticated[^\n]*/, '');
    const { code, output } = await check('--subgraph', 'users', '--schema', proposal);
    expect(code).toBe(1);
    expect(output).toMatch(/breaking\s+User\.email: \[FIELD_REMOVED\]/);
  });

  it('passes a breaking change that the allowlist names with a reason', async () => {
    await writeFile(
      join(dir, 'schema-checks/allowed-breaking-changes.json'),
      JSON.stringify([{ path: 'User.email', type: 'FIELD_REMOVED', reason: 'emails move to the accounts subgraph; no client reads them' }]),
    );
    const proposal = await proposeUsers(/\s+"""\n\s+Email address[^"]*"""\n\s+email: String @authenticated[^\n]*/, '');
    const { code, output } = await check('--subgraph', 'users', '--schema', proposal);
    expect(output).toMatch(/allowed\s+User\.email: \[FIELD_REMOVED\].*\(allowed: emails move/);
    expect(code).toBe(0);
  });

  it('passes a field moved to another subgraph gradually (progressive @override with a percent label), and refuses a label the planner cannot read', async () => {
    const path = join(dir, 'proposed-reviews.graphql');
    const reviews = (await readFile(join(dir, 'subgraphs/reviews/schema.graphql'), 'utf8'))
      .replace('import: ["@key",', 'import: ["@key", "@override",')
      .replace(
        /(type Product @key\(fields: "id"\) \{\n\s+"The product's id."\n\s+id: ID!)/,
        '$1\n  "Moving here from products."\n  name: String! @override(from: "products", label: "percent(10)")',
      );
    await writeFile(path, reviews);
    const { code, output } = await check('--subgraph', 'reviews', '--schema', path);
    expect(output).not.toMatch(/breaking/);
    expect(code).toBe(0);
    // A label the query planner does not know is refused by composition itself.
    await writeFile(path, reviews.replace('percent(10)', 'percent(ten)'));
    const refused = await check('--subgraph', 'reviews', '--schema', path);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/OVERRIDE_LABEL_INVALID|label/i);
  });

  it('fails when a field starts to require authorization, which the API schema alone does not show', async () => {
    const proposal = await proposeUsers('  username: String!', '  username: String! @authenticated');
    const { code, output } = await check('--subgraph', 'users', '--schema', proposal);
    expect(code).toBe(1);
    expect(output).toMatch(/breaking\s+User\.username: \[AUTHORIZATION_ADDED\] 'User\.username' now requires an authenticated caller/);
  });

  it('passes a new optional argument (not breaking; @graphql-inspector rates it dangerous)', async () => {
    const proposal = await proposeUsers(
      '    after: String\n  ): UserConnection!',
      '    after: String\n    "Only users whose name contains this."\n    nameContains: String\n  ): UserConnection!',
    );
    const { code, output } = await check('--subgraph', 'users', '--schema', proposal, '--json');
    expect(code).toBe(0);
    // What `--json` prints.
    const report = JSON.parse(output.slice(output.indexOf('{'))) as { passed: boolean; steps: StepResult[] };
    const changes = report.steps.find((s) => s.name === 'schema changes');
    expect(report.passed).toBe(true);
    expect(changes?.status).toBe('passed');
    expect(changes?.findings).toEqual([
      expect.objectContaining({ level: 'dangerous', code: 'FIELD_ARGUMENT_ADDED', where: 'Query.users.nameContains' }),
    ]);
  });

  it('fails when a change breaks a client operation', async () => {
    const path = join(dir, 'proposed-products.graphql');
    const sdl = await readFile(join(dir, 'subgraphs/products/schema.graphql'), 'utf8');
    await writeFile(path, sdl.replace(/\s+"Longer description; may be empty\."\n\s+description: String!/, ''));
    const { code, output } = await check('--subgraph', 'products', '--schema', path);
    expect(code).toBe(1);
    expect(output).toMatch(/FAIL client operations/);
    expect(output).toMatch(/web\/product\.graphql: \[GRAPHQL_VALIDATION_FAILED\] Cannot query field "description"/);
  });

  it("covers subscription fields: a removed argument is breaking, and breaks the storefront's live updates", async () => {
    const path = join(dir, 'proposed-reviews.graphql');
    const sdl = await readFile(join(dir, 'subgraphs/reviews/schema.graphql'), 'utf8');
    const withoutArgument = sdl.replace('reviewAdded("The product whose new reviews to receive." productId: ID!)', 'reviewAdded');
    expect(withoutArgument).not.toBe(sdl);
    await writeFile(path, withoutArgument);
    const { code, output } = await check('--subgraph', 'reviews', '--schema', path);
    expect(code).toBe(1);
    expect(output).toMatch(/breaking\s+Subscription\.reviewAdded\.productId: \[FIELD_ARGUMENT_REMOVED\]/);
    expect(output).toMatch(
      /web\/live\.graphql: \[GRAPHQL_VALIDATION_FAILED\] Unknown argument "productId" on field "Subscription\.reviewAdded"/,
    );
  });

  it('fails when a client operation is over the cost limit', async () => {
    await writeFile(
      join(dir, 'schema-checks/operations/web/everything.graphql'),
      'query Everything { users(first: 100) { edges { node { reviews(first: 100) { edges { node { product { name } } } } } } } }',
    );
    const { code, output } = await check();
    expect(code).toBe(1);
    expect(output).toMatch(
      /web\/everything\.graphql \(Everything\): \[COST_ESTIMATED_TOO_EXPENSIVE\] estimated cost \d+ is over the maximum of 10000/,
    );
  });

  it.each([
    [['--config', '/nonexistent/supergraph.yaml'], /cannot use \/nonexistent\/supergraph\.yaml/],
    [['--subgraph', 'inventory', '--schema', '/tmp/x.graphql'], /no subgraph "inventory"/],
    [['--subgraph', 'users'], /--subgraph and --schema go together/],
    [['--schema', '/nonexistent.graphql', '--subgraph', 'users'], /cannot read the schema of subgraph "users"/],
  ])('exits 2 on a usage error: %j', async (args, message) => {
    const { code, output } = await check(...args);
    expect(code).toBe(2);
    expect(output).toMatch(message);
  });
});
