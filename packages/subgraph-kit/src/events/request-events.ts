import type { RawSql } from '../idempotency.js';
import type { EventHub } from './hub.js';
import { topicKind, type EventMetrics } from './metrics.js';
import { recordEvent } from './store.js';
import type { TopicEvent } from './types.js';

/** One request's events: what its writes record, and what its subscription receives. */
export interface RequestEvents {
  /**
   * Records an event inside a write's transaction (the `tx` of `writes.once(path, (tx) => …)`): it
   * is published once that transaction commits, and never if it rolls back.
   */
  record(tx: RawSql, topic: string, payload: unknown): Promise<void>;
  /**
   * The events of `topic` for this request's subscription, from where it resumes (`Last-Event-ID`,
   * `extensions.lastEventId`) or from now. A subscription resolver's `subscribe`.
   */
  subscribe(topic: string): Promise<AsyncIterableIterator<TopicEvent>>;
  /** Told by the idempotent writes when a transaction committed: what it recorded can go out now. */
  committed(tx: unknown): void;
}

/** What a request's events are served by: the process's hub and relay (none: a harness without them). */
export interface RequestEventsOptions {
  hub?: EventHub;
  /** Wakes the relay. */
  wake?: () => void;
  metrics?: EventMetrics;
  /** The `seq` the request's subscription resumes after. */
  after?: number;
}

/** One request's {@link RequestEvents}. */
export function createRequestEvents({ hub, wake, metrics, after }: RequestEventsOptions): RequestEvents {
  // The kinds each open transaction recorded: counted, and the relay woken, once it commits.
  const recorded = new Map<unknown, string[]>();
  return {
    async record(tx, topic, payload) {
      await recordEvent(tx, topic, payload);
      const kinds = recorded.get(tx);
      if (kinds) kinds.push(topicKind(topic));
      else recorded.set(tx, [topicKind(topic)]);
    },
    subscribe(topic) {
      if (!hub) return Promise.reject(new Error('subscriptions are not served here: the subgraph declares no events'));
      return hub.subscribe(topic, after === undefined ? {} : { after });
    },
    committed(tx) {
      const kinds = recorded.get(tx);
      if (!kinds) return;
      recorded.delete(tx);
      for (const kind of kinds) metrics?.recorded.inc({ kind });
      wake?.();
    },
  };
}
