import { randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { DriverAdapterError, type SqlDriverAdapter, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { CharAsTextClient } from './pg-client.ts';

/**
 * The schema engine's view of a PostgreSQL database, on the given pool (whose clients must be
 * `CharAsTextClient`s) and its `url`.
 *
 * Differs from a bare `PrismaPg` in two ways. Migration scripts run whole (see
 * `withScriptRunner`). The shadow database is a throw-away database created on the same
 * server and dropped after use: `PrismaPg.connectToShadowDb` would connect to the main
 * database instead, because the pool's `connectionString` overrides the shadow's name.
 */
export function postgresMigrationAdapter(pool: pg.Pool, url: string): SqlMigrationAwareDriverAdapterFactory {
  const factory = new PrismaPg(pool);
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => withScriptRunner(await factory.connect(), (script) => pool.query(script)),
    connectToShadowDb: async () => {
      const name = `prisma_shadow_${randomUUID().replaceAll('-', '')}`;
      await pool.query(`CREATE DATABASE "${name}"`);
      const shadowUrl = new URL(url);
      shadowUrl.pathname = `/${name}`;
      const shadowPool = new pg.Pool({ connectionString: shadowUrl.href, max: 2, Client: CharAsTextClient });
      const adapter = withScriptRunner(await new PrismaPg(shadowPool).connect(), (script) => shadowPool.query(script));
      adapter.dispose = async () => {
        await shadowPool.end();
        await pool.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      };
      return adapter;
    },
  };
}

/**
 * The schema engine's view of an embedded PGlite database. Scripts run whole and awaited (the
 * stock adapter fires `exec()` without awaiting it, so a failing migration is recorded as
 * applied), and the shadow database is an in-memory PGlite that is closed after use.
 */
export function pgliteMigrationAdapter(db: PGlite): SqlMigrationAwareDriverAdapterFactory {
  const factory = new PrismaPGlite(db);
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => withScriptRunner(await factory.connect(), (script) => db.exec(script)),
    connectToShadowDb: async () => {
      const shadow = await PGlite.create('memory://');
      const adapter = withScriptRunner(await new PrismaPGlite(shadow).connect(), (script) => shadow.exec(script));
      adapter.dispose = () => shadow.close();
      return adapter;
    },
  };
}

/**
 * Replaces the adapter's `executeScript`, which the engine uses for migration scripts.
 *
 * `@prisma/adapter-pg` splits scripts on every `;` (breaking quoted semicolons and `$$`
 * bodies). Sending the script as one simple-protocol query runs it the way the native engine
 * does: statements in order, in one implicit transaction. A failure becomes a
 * `DriverAdapterError` with the server's message, which the engine records as a failed
 * migration and reports; other errors would reach it only as an opaque "GenericJs" id.
 */
function withScriptRunner(adapter: SqlDriverAdapter, run: (script: string) => Promise<unknown>): SqlDriverAdapter {
  adapter.executeScript = async (script) => {
    try {
      await run(script);
    } catch (error) {
      throw toDriverAdapterError(error);
    }
  };
  return adapter;
}

/** A PostgreSQL server error (from `pg` or PGlite, which share its fields) as the engine understands it. */
function toDriverAdapterError(error: unknown): unknown {
  const e = error as Partial<Record<'code' | 'severity' | 'message' | 'detail' | 'column' | 'hint', unknown>>;
  if (typeof e?.code !== 'string' || typeof e.severity !== 'string' || typeof e.message !== 'string') return error;
  return new DriverAdapterError({
    kind: 'postgres',
    code: e.code,
    severity: e.severity,
    message: e.message,
    detail: typeof e.detail === 'string' ? e.detail : undefined,
    column: typeof e.column === 'string' ? e.column : undefined,
    hint: typeof e.hint === 'string' ? e.hint : undefined,
  });
}
