/**
 * One event as the outbox stores it and subscribers receive it: its topic, its place in the
 * topic (`seq`: 1, 2, 3, … in commit order, no gaps), what the write recorded, and when.
 */
export interface TopicEvent<Payload = unknown> {
  topic: string;
  seq: number;
  payload: Payload;
  /** The row's `created_at`: the start of the transaction that recorded it. */
  createdAt: Date;
}

/** A running listener of a bus; `close` stops it. */
export interface BusListener {
  close(): Promise<void>;
}

/**
 * Where the relay publishes committed events and every process's hub hears them: Redis pub/sub
 * when replicas share a Redis, else within the process. A bus may lose a message (a subscriber
 * that was disconnected hears nothing): the hub's catch-up reads the database for that.
 */
export interface EventBus {
  /** Hands a batch to the bus; rejects when the bus does not take it (then the relay's transaction rolls back). */
  publish(events: readonly TopicEvent[]): Promise<void>;
  /** Calls `listener` with each batch published from now on, by any process. */
  listen(listener: (events: readonly TopicEvent[]) => void): BusListener;
}
