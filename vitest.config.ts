import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Three projects:
 * - `unit`: the tests beside each package, without any server. The variables naming the test
 *   servers are emptied for it, so a unit test that reaches for PostgreSQL or Redis fails
 *   instead of quietly using one.
 * - `integration`: a package's tests that need a real PostgreSQL or Redis, kept in its
 *   `test/integration/`.
 * - `e2e`: top-level test/ and the harness's own tests in test/helpers/test/, which start real
 *   service processes or stop the shared Redis: long timeouts, one file at a time.
 *
 * Servers: `pnpm test` runs vitest inside scripts/test-services/run.sh, which sets
 * TEST_POSTGRES_URL, TEST_REDIS_URL, TEST_REDIS_CLUSTER_URL and TEST_REDIS_CONF. A bare
 * `pnpm exec vitest` uses the servers of `pnpm services:up` instead, when they are running.
 */
const PACKAGES = '{gateway,schema-checks,subgraphs/*,prisma,packages/*}';
const INTEGRATION = '**/test/integration/**';

/** What the unit project sees instead of the test servers: nothing. */
const NO_SERVERS = { TEST_POSTGRES_URL: '', TEST_REDIS_URL: '', TEST_REDIS_CLUSTER_URL: '', TEST_REDIS_CONF: '' };

export default defineConfig({
  // One graphql-js for everyone. Node loads `graphql` as CommonJS (it has no exports map),
  // and so do Apollo and graphql-query-complexity; Vite would otherwise pick its ESM build
  // for test code, and graphql-js refuses schema objects "from another module or realm".
  resolve: { alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') }] },
  test: {
    env: servicesUpEnv(),
    projects: [
      {
        test: {
          name: 'unit',
          // Unit and integration files run in one group, before e2e and never at the same
          // time: the e2e files stop and start the shared Redis, which would pull it from
          // under an integration file.
          sequence: { groupOrder: 0 },
          include: [`${PACKAGES}/test/**/*.test.ts`],
          exclude: [...configDefaults.exclude, INTEGRATION],
          env: NO_SERVERS,
        },
      },
      {
        test: {
          name: 'integration',
          sequence: { groupOrder: 0 },
          include: [`${PACKAGES}/test/integration/**/*.test.ts`],
        },
      },
      {
        test: {
          name: 'e2e',
          sequence: { groupOrder: 1 },
          // Cross-service tests, and the test harness's own (they stop and start the shared Redis).
          include: ['test/**/*.test.ts', 'deploy/test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});

/** The variables `pnpm services:up` recorded, unless the environment names servers already. */
function servicesUpEnv(): Record<string, string> {
  const file = resolve(import.meta.dirname, '.tmp/test-services.env');
  if (process.env.TEST_POSTGRES_URL || process.env.TEST_REDIS_URL || !existsSync(file)) return {};
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}
