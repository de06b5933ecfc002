import pg from 'pg';

/** Counts SQL statements per database with the server's `pg_stat_statements`. */
export interface StatementCounter {
  /** Runs `operation` and returns how many statements each named database executed meanwhile. */
  count<T>(operation: () => Promise<T>): Promise<{ result: T; statements: Record<string, number> }>;
  close(): Promise<void>;
}

/**
 * Counts on the real server, from outside the services: the statistics are cluster-wide,
 * reset before the operation and read after it (our own queries run in the admin
 * database, which is not counted). `databases` maps a label to a database name. The server
 * must preload pg_stat_statements (the test servers do); the extension is created here.
 * Operations must not overlap: the counts are the server's, not one caller's.
 */
export async function createStatementCounter(adminUrl: string, databases: Record<string, string>): Promise<StatementCounter> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  const names = Object.values(databases);
  return {
    async count(operation) {
      await admin.query('SELECT pg_stat_statements_reset()');
      const result = await operation();
      const { rows } = await admin.query<{ datname: string; calls: string }>(
        `SELECT d.datname, sum(s.calls) AS calls
           FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
          WHERE d.datname = ANY($1)
          GROUP BY d.datname`,
        [names],
      );
      const byName = new Map(rows.map((r) => [r.datname, Number(r.calls)]));
      const statements = Object.fromEntries(Object.entries(databases).map(([label, name]) => [label, byName.get(name) ?? 0]));
      return { result, statements };
    },
    close: () => admin.end(),
  };
}
