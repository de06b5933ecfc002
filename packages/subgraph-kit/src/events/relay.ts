import type { Logger } from '@tessera/service-kit';
import type { RawSql, TransactionalClient } from '../idempotency.js';
import type { EventMetrics } from './metrics.js';
import { markPublished, pruneEvents, readUnpublished } from './store.js';
import type { EventBus } from './types.js';

/** What the relay defaults to (`EVENTS_RELAY_INTERVAL_MS`, `EVENT_RETENTION_SECONDS`). */
export const RELAY_DEFAULTS = {
  /** How often the relay looks for unpublished events besides being woken by a commit that recorded some. */
  intervalMs: 1_000,
  /** How long published events are kept for subscriptions that resume. */
  retentionSeconds: 86_400,
  /** Events published in one transaction (one bus message). */
  batchSize: 500,
  /** How often old events are pruned, and how many at most at once. */
  pruneIntervalMs: 60_000,
  pruneBatch: 10_000,
  /** When woken while another replica's relay holds the lock: how soon to look again. */
  busyRetryMs: 50,
} as const;

/** Options of {@link startRelay}. */
export interface RelayOptions {
  db: TransactionalClient<RawSql>;
  bus: EventBus;
  metrics: EventMetrics;
  logger: Logger;
  /** The relay's transaction: longest wait for a connection, and longest run (it includes the bus's publish). */
  transaction: { maxWait: number; timeout: number };
  /** @default 1_000 */
  intervalMs?: number;
  /** @default 86_400 */
  retentionSeconds?: number;
  /** @default 500 */
  batchSize?: number;
}

/** The running relay. */
export interface Relay {
  /** Looks for events now (a write that recorded some has just committed). */
  wake(): void;
  /** Stops, after the batch in progress. */
  close(): Promise<void>;
}

/**
 * Any number fixed for the relay's advisory lock: one relay at a time per database. A
 * transaction-scoped lock, so it is released with the transaction, through a transaction-mode
 * pooler too (a session lock would stay with whichever server connection PgBouncer lent).
 */
const RELAY_LOCK = 745_120_386_211;

/**
 * Publishes committed events to the bus in id order, then marks them published, in one
 * transaction holding the relay lock: if the bus does not take a batch, the transaction rolls
 * back and the batch stays unpublished until it does (nothing is lost; a batch the bus took but
 * whose mark did not commit is published again, which subscribers skip by `seq`). Also prunes
 * published events older than the retention, in a statement of its own.
 */
export function startRelay(options: RelayOptions): Relay {
  return new OutboxRelay({ ...RELAY_DEFAULTS, ...options });
}

type RelaySettings = Required<RelayOptions> & { -readonly [K in keyof typeof RELAY_DEFAULTS]: number };

class OutboxRelay implements Relay {
  readonly #options: RelaySettings;
  readonly #timer: NodeJS.Timeout;
  #running: Promise<void> | undefined;
  #again = false;
  /** A commit asked for a run that has not yet held the lock. */
  #woken = false;
  #retry: NodeJS.Timeout | undefined;
  #prunedAt = 0;
  #closed = false;

  constructor(options: RelaySettings) {
    this.#options = options;
    this.#timer = setInterval(() => this.#run(), options.intervalMs);
    this.#timer.unref();
    // What an earlier process recorded and never published goes out now.
    this.#run();
  }

  wake(): void {
    this.#woken = true;
    this.#run();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    clearTimeout(this.#retry);
    await this.#running;
  }

  #run(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.#run();
      }
    });
  }

  /** Batch after batch until one is not full; another replica's relay holding the lock ends it (soon tried again if woken). */
  async #drain(): Promise<void> {
    const { batchSize, metrics, logger, busyRetryMs } = this.#options;
    try {
      for (;;) {
        const published = await this.#publishBatch();
        if (published === 'busy') {
          // That relay may have read before our commit: look again shortly rather than at the next interval.
          if (this.#woken && !this.#retry) {
            this.#retry = setTimeout(() => {
              this.#retry = undefined;
              this.#run();
            }, busyRetryMs);
          }
          return;
        }
        metrics.published.inc(published);
        if (published < batchSize || this.#closed) return;
      }
    } catch (error) {
      metrics.publishFailures.inc();
      logger.warn({ err: error }, 'events not published (left for the next attempt)');
    } finally {
      // Apart from publishing, so a bus that is down does not keep old events either.
      await this.#pruneIfDue().catch((error: unknown) => logger.warn({ err: error }, 'old events not pruned (tried again later)'));
    }
  }

  async #publishBatch(): Promise<number | 'busy'> {
    const { db, bus, batchSize, transaction } = this.#options;
    return db.$transaction(async (tx) => {
      const [lock] = await tx.$queryRaw<Array<{ locked: boolean }>>`SELECT pg_try_advisory_xact_lock(${RELAY_LOCK}::bigint) AS locked`;
      if (!lock?.locked) return 'busy';
      this.#woken = false;
      const batch = await readUnpublished(tx, batchSize);
      if (batch.length > 0) {
        // Throws when the bus does not take it: the transaction rolls back, the rows stay unpublished.
        await bus.publish(batch.map(({ event }) => event));
        await markPublished(
          tx,
          batch.map(({ id }) => id),
        );
      }
      return batch.length;
    }, transaction);
  }

  /** Deletes published events past the retention, at most every `pruneIntervalMs` (each replica may: a row deleted twice is deleted once). */
  async #pruneIfDue(): Promise<void> {
    const { db, pruneIntervalMs, retentionSeconds, pruneBatch } = this.#options;
    if (Date.now() - this.#prunedAt < pruneIntervalMs) return;
    const pruned = await pruneEvents(db, retentionSeconds, pruneBatch);
    // A full batch leaves more: prune again at the next run.
    if (pruned < pruneBatch) this.#prunedAt = Date.now();
  }
}
