import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { requireEnv } from './require-env.js';

/** A database of its own for one test file, on the server of `TEST_POSTGRES_URL`. */
export interface TestDatabase {
  /** The database name: the prefix plus a random suffix. */
  name: string;
  /** Connection URL of the new database (the admin URL with its path replaced). */
  url: string;
  /** Drops the database, closing any connection still open on it. Safe to repeat. */
  drop(): Promise<void>;
}

const PREFIX = /^[a-z][a-z0-9_]{0,40}$/;

/**
 * Creates an empty, randomly named database on the PostgreSQL server of
 * `TEST_POSTGRES_URL` (PostgreSQL 13 or later). Call `drop()` in `afterAll`.
 *
 * @param prefix - Start of the name, to tell databases apart: lowercase letters, digits
 *   and `_`, starting with a letter, at most 41 characters.
 */
export async function createTestDatabase(prefix = 'test', adminUrl = requireEnv('TEST_POSTGRES_URL')): Promise<TestDatabase> {
  if (!PREFIX.test(prefix)) {
    throw new Error(`createTestDatabase: prefix ${JSON.stringify(prefix)} must match ${PREFIX}`);
  }
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await runAdminStatement(adminUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => runAdminStatement(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/** Runs one statement on a short-lived connection to the admin database. */
async function runAdminStatement(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Runs one statement on a short-lived connection to `url`; its rows. For assertions on what a service wrote. */
export async function sqlRows<T>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}
