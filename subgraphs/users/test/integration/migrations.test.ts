/**
 * How a deployment migrates: replicas that only verify (`DATABASE_MIGRATIONS=verify`) refuse
 * to start on a database behind the committed migrations, the `migrate` command (the
 * migration job) applies them, and then every replica starts — on a PostgreSQL database.
 */
import { createSubgraphDatabases, TEST_AUTH, type SubgraphDatabases } from '@tessera/test-helpers';
import { runSubgraph, startSubgraph } from '@tessera/subgraph-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, usersSubgraph } from '../../src/index.js';

let dbs: SubgraphDatabases;
beforeAll(async () => {
  dbs = await createSubgraphDatabases('migrations');
});
afterAll(() => dbs?.drop());

const config = (env: Record<string, string> = {}) =>
  loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    USERS_PORT: '0',
    USERS_METRICS_PORT: '0',
    SUBGRAPH_SIGNING_KEYS: TEST_AUTH.signingKeys,
    USERS_DATABASE_URL: dbs.byName.users.url,
    ...env,
  });

describe('DATABASE_MIGRATIONS and the migrate command', () => {
  it('verify: refuses to start while migrations are pending, naming them and the way out', async () => {
    await expect(startSubgraph(usersSubgraph, config({ DATABASE_MIGRATIONS: 'verify' }))).rejects.toThrow(
      /DATABASE_MIGRATIONS=verify: \d+ migration\(s\) of the users database not applied yet \(\d{14}_init.*\); run the migration job/,
    );
  });

  it('refuses an unknown command before touching the database', async () => {
    await expect(runSubgraph(usersSubgraph, config(), ['migrate', '--now'])).rejects.toThrow(/unknown command "migrate --now"/);
  });

  it('migrate applies them and exits; a replica that verifies then starts and serves', async () => {
    await runSubgraph(usersSubgraph, config(), ['migrate']);
    const replica = await startSubgraph(usersSubgraph, config({ DATABASE_MIGRATIONS: 'verify' }));
    try {
      expect((await fetch(`http://127.0.0.1:${replica.port}/ready`)).status).toBe(200);
    } finally {
      await replica.close();
    }
  });

  it('rejects a DATABASE_MIGRATIONS it does not know', () => {
    expect(() => config({ DATABASE_MIGRATIONS: 'later' })).toThrow(/DATABASE_MIGRATIONS/);
  });
});
