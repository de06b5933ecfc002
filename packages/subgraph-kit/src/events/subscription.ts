import type { TopicEvent } from './types.js';

/** Options of {@link SubscriptionQueue}. */
export interface SubscriptionQueueOptions {
  /** Events it holds for its consumer at most. */
  capacity: number;
  /** After the consumer took an event: how many are still queued (the hub refills one that fell behind). */
  onTake(queued: number): void;
  /** Once, when it stops receiving: its consumer closed it, or it was failed or ended. */
  onClose(): void;
}

type Waiter = { resolve(result: IteratorResult<TopicEvent>): void; reject(error: unknown): void };
const DONE: IteratorResult<TopicEvent, undefined> = { value: undefined, done: true };

/**
 * One subscriber's events on their way to its consumer: a bounded queue read as an async
 * iterator, whose `return()` takes effect at once, even while the consumer waits in `next()` (an
 * async generator would wait for the pending `next()` first: a client that went away would hold
 * its subscription until the topic's next event).
 */
export class SubscriptionQueue implements AsyncIterableIterator<TopicEvent> {
  readonly #queue: TopicEvent[] = [];
  readonly #options: SubscriptionQueueOptions;
  #waiter: Waiter | undefined;
  #failure: Error | undefined;
  #closed = false;

  constructor(options: SubscriptionQueueOptions) {
    this.#options = options;
  }

  /** How many more events it may be handed now. */
  room(): number {
    return this.#closed ? 0 : this.#options.capacity - this.#queue.length;
  }

  /** Queues events for the consumer (the hub never hands it more than {@link room}). */
  push(events: readonly TopicEvent[]): void {
    if (this.#closed || events.length === 0) return;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    this.#queue.push(...events);
    if (waiter) waiter.resolve({ value: this.#queue.shift()!, done: false });
  }

  /** Ends it with `error`, after the events already queued; a consumer already waiting gets the error now. */
  fail(error: Error): void {
    if (this.#closed) return;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    const queued = this.#queue.splice(0);
    this.end();
    this.#queue.push(...queued);
    if (waiter) waiter.reject(error);
    else this.#failure = error;
  }

  /** Ends it now: what is queued is dropped, a waiting consumer is told it is done. */
  end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    this.#waiter?.resolve(DONE);
    this.#waiter = undefined;
    this.#options.onClose();
  }

  next(): Promise<IteratorResult<TopicEvent>> {
    const value = this.#queue.shift();
    if (value) {
      this.#options.onTake(this.#queue.length);
      return Promise.resolve({ value, done: false });
    }
    if (this.#failure) {
      const error = this.#failure;
      this.#failure = undefined;
      return Promise.reject(error);
    }
    if (this.#closed) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
  }

  return(): Promise<IteratorResult<TopicEvent>> {
    this.end();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
