import type { Logger } from '@tessera/service-kit';
import type { RawSql } from '../idempotency.js';
import { eventsExpired, subscriberTooSlow } from './errors.js';
import type { EventMetrics } from './metrics.js';
import { takeInOrder } from './sequence.js';
import { readTopic, topicBounds, topicHeads } from './store.js';
import { SubscriptionQueue } from './subscription.js';
import type { BusListener, EventBus, TopicEvent } from './types.js';

/** What the hub defaults to (`EVENTS_CATCHUP_INTERVAL_MS`). */
export const HUB_DEFAULTS = {
  /** How often each topic with subscribers is compared with the database, for events whose bus message was lost. */
  catchupIntervalMs: 2_000,
  /**
   * Events one subscription holds for its consumer. A replay from the database waits for room;
   * a live event finding none ends the subscription (`SUBSCRIBER_TOO_SLOW`).
   */
  maxBuffered: 1_000,
  /** Events of one topic read from the database at once. */
  readBatch: 500,
} as const;

/** Options of {@link createEventHub}. */
export interface EventHubOptions {
  /** The subgraph's database (its `events` and `event_topics`). */
  sql: RawSql;
  bus: EventBus;
  metrics: EventMetrics;
  logger: Logger;
  /** @default 2_000 */
  catchupIntervalMs?: number;
  /** @default 1_000 */
  maxBuffered?: number;
  /** @default 500 */
  readBatch?: number;
}

/** The process's subscriptions to topics. */
export interface EventHub {
  /**
   * The events of `topic`, each once, in `seq` order: with `after`, every event after it first
   * (refused with `EVENTS_EXPIRED` when those are no longer kept), else those after the topic's
   * current last one. Closing the iterator (`return()`) ends the subscription.
   */
  subscribe(topic: string, options?: { after?: number }): Promise<AsyncIterableIterator<TopicEvent>>;
  /** Ends every subscription and stops listening. */
  close(): Promise<void>;
}

/**
 * One process's subscriptions, fed by the bus and the database. Each subscriber has a position
 * (the last `seq` it was handed): a bus event is handed on only when it is the next one; anything
 * else is skipped (already had) or a gap, filled from the database. Every `catchupIntervalMs` the
 * topics' last `seq`s are read, so an event whose bus message never came still arrives. A topic's
 * subscribers share each read: one query per topic and batch, never per subscriber.
 */
export function createEventHub(options: EventHubOptions): EventHub {
  return new Hub({ ...HUB_DEFAULTS, ...options });
}

interface Subscriber {
  queue: SubscriptionQueue;
  /** The last `seq` handed to it. */
  last: number;
  /** Its queue filled up during a replay: it is refilled from the database as its consumer catches up, not from the bus. */
  behind: boolean;
}

interface Topic {
  name: string;
  subscribers: Set<Subscriber>;
  /** The read in progress, if any, and whether another should follow it. */
  filling?: Promise<void>;
  again: boolean;
}

class Hub implements EventHub {
  readonly #topics = new Map<string, Topic>();
  readonly #options: Required<EventHubOptions>;
  readonly #listener: BusListener;
  readonly #timer: NodeJS.Timeout;
  #catchingUp = false;
  #closed = false;

  constructor(options: Required<EventHubOptions>) {
    this.#options = options;
    this.#listener = options.bus.listen((events) => this.#onBus(events));
    this.#timer = setInterval(() => void this.#catchUp(), options.catchupIntervalMs);
    this.#timer.unref();
  }

  async subscribe(name: string, { after }: { after?: number } = {}): Promise<AsyncIterableIterator<TopicEvent>> {
    if (this.#closed) throw new Error('the event hub is closed');
    const last = after === undefined ? await this.#head(name) : await this.#resumePoint(name, after);
    const topic = this.#topic(name);
    const subscriber: Subscriber = {
      last,
      behind: false,
      queue: new SubscriptionQueue({
        capacity: this.#options.maxBuffered,
        onTake: (queued) => {
          if (subscriber.behind && queued <= this.#options.maxBuffered / 2) void this.#fill(topic);
        },
        onClose: () => this.#remove(topic, subscriber),
      }),
    };
    topic.subscribers.add(subscriber);
    this.#options.metrics.subscriptions.inc();
    if (after !== undefined) void this.#fill(topic);
    return subscriber.queue;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#listener.close();
    const fills = [...this.#topics.values()].flatMap((topic) => (topic.filling ? [topic.filling] : []));
    for (const topic of this.#topics.values()) for (const subscriber of topic.subscribers) subscriber.queue.end();
    await Promise.allSettled(fills);
  }

  /** Where a new subscription without a resume point starts: after the topic's last event. */
  async #head(name: string): Promise<number> {
    return (await topicHeads(this.#options.sql, [name])).get(name) ?? 0;
  }

  /** `after`, if the database still holds every event after it. */
  async #resumePoint(name: string, after: number): Promise<number> {
    const { latest, oldest } = await topicBounds(this.#options.sql, name);
    const kept = after === latest || (after < latest && oldest !== undefined && oldest <= after + 1);
    this.#options.metrics.resumptions.inc({ outcome: kept ? 'resumed' : 'expired' });
    if (!kept) throw eventsExpired({ after, oldest, latest });
    return after;
  }

  #topic(name: string): Topic {
    let topic = this.#topics.get(name);
    if (!topic) this.#topics.set(name, (topic = { name, subscribers: new Set(), again: false }));
    return topic;
  }

  #remove(topic: Topic, subscriber: Subscriber): void {
    if (!topic.subscribers.delete(subscriber)) return;
    this.#options.metrics.subscriptions.dec();
    if (topic.subscribers.size === 0 && this.#topics.get(topic.name) === topic) this.#topics.delete(topic.name);
  }

  /** Hands a subscriber what it took, and moves it on. */
  #hand(subscriber: Subscriber, events: readonly TopicEvent[], last: number, source: 'bus' | 'database'): void {
    subscriber.last = last;
    subscriber.queue.push(events);
    if (events.length) this.#options.metrics.delivered.inc({ source }, events.length);
  }

  /** A batch from the bus: each subscriber of its topics takes what comes next for it; a gap asks the database. */
  #onBus(events: readonly TopicEvent[]): void {
    const byTopic = new Map<string, TopicEvent[]>();
    for (const event of events) {
      const batch = byTopic.get(event.topic);
      if (batch) batch.push(event);
      else byTopic.set(event.topic, [event]);
    }
    for (const [name, batch] of byTopic) {
      const topic = this.#topics.get(name);
      if (!topic) continue;
      let gap = false;
      for (const subscriber of topic.subscribers) {
        if (subscriber.behind) continue;
        const taken = takeInOrder(subscriber.last, subscriber.queue.room(), batch);
        this.#hand(subscriber, taken.events, taken.last, 'bus');
        if (taken.full) subscriber.queue.fail(subscriberTooSlow(this.#options.maxBuffered));
        gap ||= taken.gap;
      }
      if (gap) void this.#fill(topic);
    }
  }

  /** Reads what a topic's subscribers are missing; one read at a time per topic, another after it if asked meanwhile. */
  #fill(topic: Topic): Promise<void> {
    if (topic.filling) {
      topic.again = true;
      return topic.filling;
    }
    topic.filling = (async () => {
      do {
        topic.again = false;
        await this.#fillOnce(topic);
      } while (topic.again && topic.subscribers.size > 0 && !this.#closed);
    })()
      .catch((error: unknown) =>
        this.#options.logger.warn({ err: error, topic: topic.name }, 'events not read from the database: retried at the next catch-up'),
      )
      .finally(() => (topic.filling = undefined));
    return topic.filling;
  }

  /**
   * Reads the topic from the lowest position of its subscribers with room, in batches, handing
   * each what comes next for it until the read reaches the topic's end or nobody has room. The
   * database holds a topic's committed events without gaps, so a gap here means they were pruned.
   */
  async #fillOnce(topic: Topic): Promise<void> {
    const { sql, readBatch } = this.#options;
    for (;;) {
      const readers = [...topic.subscribers].filter((subscriber) => subscriber.queue.room() > 0);
      if (readers.length === 0 || this.#closed) return;
      const from = Math.min(...readers.map((subscriber) => subscriber.last));
      const events = await readTopic(sql, topic.name, from, readBatch);
      for (const subscriber of readers) {
        const taken = takeInOrder(subscriber.last, subscriber.queue.room(), events);
        this.#hand(subscriber, taken.events, taken.last, 'database');
        subscriber.behind = taken.full;
        if (taken.gap) subscriber.queue.fail(eventsExpired({ after: subscriber.last, oldest: events[0]?.seq, latest: events.at(-1)!.seq }));
      }
      if (events.length < readBatch) return;
    }
  }

  /** Compares each topic's last `seq` in the database with its subscribers' positions, and fills those behind. */
  async #catchUp(): Promise<void> {
    const live = [...this.#topics.values()].filter((topic) => topic.subscribers.size > 0);
    if (this.#catchingUp || live.length === 0) return;
    this.#catchingUp = true;
    try {
      const heads = await topicHeads(
        this.#options.sql,
        live.map((topic) => topic.name),
      );
      for (const topic of live) {
        const head = heads.get(topic.name) ?? 0;
        if ([...topic.subscribers].some((subscriber) => subscriber.last < head && subscriber.queue.room() > 0)) void this.#fill(topic);
      }
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'event catch-up could not read the database: tried again at the next');
    } finally {
      this.#catchingUp = false;
    }
  }
}
