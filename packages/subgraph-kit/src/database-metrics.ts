import type { Database } from '@tessera/prisma';
import { Gauge, type Registry } from 'prom-client';

/**
 * The connection pool's use as gauges, read at scrape time: connections in use and idle, queries
 * waiting for one (a queue that grows means the pool is too small or the database too slow),
 * and the pool's size. Nothing for the embedded database, which has no pool.
 */
export function observeDatabase(database: Database, registry: Registry): void {
  if (!database.poolStats()) return;
  new Gauge({
    name: 'db_pool_connections',
    help: 'Connections of the database pool, by state (in_use, idle).',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const stats = database.poolStats();
      if (!stats) return;
      this.set({ state: 'in_use' }, stats.total - stats.idle);
      this.set({ state: 'idle' }, stats.idle);
    },
  });
  new Gauge({
    name: 'db_pool_waiting',
    help: 'Queries waiting for a pooled connection (at most DATABASE_ACQUIRE_TIMEOUT_MS each).',
    registers: [registry],
    collect() {
      this.set(database.poolStats()?.waiting ?? 0);
    },
  });
  new Gauge({
    name: 'db_pool_max',
    help: 'The pool size (<NAME>_DATABASE_POOL_SIZE).',
    registers: [registry],
    collect() {
      this.set(database.poolStats()?.max ?? 0);
    },
  });
}
