import type { Logger, RedisClient } from '@tessera/service-kit';
import type { Registry } from 'prom-client';
import type { RawSql, TransactionalClient } from '../idempotency.js';
import { createEventHub, type EventHub } from './hub.js';
import { createMemoryBus } from './memory-bus.js';
import { createEventMetrics } from './metrics.js';
import { createRedisBus } from './redis-bus.js';
import { startRelay } from './relay.js';
import { createRequestEvents, type RequestEvents } from './request-events.js';
import { relayLagSeconds } from './store.js';

/** The events settings of a subgraph's configuration (`EVENTS_*`, `EVENT_RETENTION_SECONDS`). */
export interface EventSettings {
  /** How often the relay looks for unpublished events besides being woken by commits. @default 1_000 */
  relayIntervalMs: number;
  /** How long published events are kept, for subscriptions that resume. @default 86_400 */
  retentionSeconds: number;
  /** How often the hub compares its topics with the database. @default 2_000 */
  catchupIntervalMs: number;
}

/** Options of {@link startEvents}. */
export interface EventsOptions {
  /** The subgraph's name: its bus channel is `<keyPrefix>events:<name>`. */
  name: string;
  /** Its database, which has the `events` and `event_topics` tables. */
  db: TransactionalClient<RawSql>;
  /** The runtime's Redis client; none: a bus within this process. */
  redis?: RedisClient;
  keyPrefix: string;
  logger: Logger;
  registry?: Registry;
  settings: EventSettings;
  /** The relay's transaction bounds (the database's acquire and statement timeouts). */
  transaction: { maxWait: number; timeout: number };
}

/** A process's events: its relay and hub, and each request's view of them. */
export interface EventsRuntime {
  hub: EventHub;
  /** A request's events; `after`, the `seq` its subscription resumes after. */
  forRequest(after?: number): RequestEvents;
  /** Stops the relay (after its batch in progress), then the hub. */
  close(): Promise<void>;
}

/** Starts one subgraph process's relay and hub, on Redis pub/sub when there is a Redis, else in process. */
export function startEvents({ name, db, redis, keyPrefix, logger, registry, settings, transaction }: EventsOptions): EventsRuntime {
  const log = logger.child({ component: 'events' });
  const bus = redis ? createRedisBus({ redis, channel: `${keyPrefix}events:${name}`, logger: log }) : createMemoryBus();
  const metrics = createEventMetrics(registry, () => relayLagSeconds(db));
  const hub = createEventHub({ sql: db, bus, metrics, logger: log, catchupIntervalMs: settings.catchupIntervalMs });
  const relay = startRelay({
    db,
    bus,
    metrics,
    logger: log,
    transaction,
    intervalMs: settings.relayIntervalMs,
    retentionSeconds: settings.retentionSeconds,
  });
  return {
    hub,
    forRequest: (after) => createRequestEvents({ hub, wake: () => relay.wake(), metrics, ...(after !== undefined && { after }) }),
    async close() {
      await relay.close();
      await hub.close();
    },
  };
}
