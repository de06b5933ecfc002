/** Why a channel ended: it completed, with an error to tell, or its reader fell behind. */
export type ChannelEnd = { kind: 'complete' } | { kind: 'error'; error: unknown } | { kind: 'overflow' };

/** A bounded queue between a producer that must never wait and one reader. */
export interface Channel<T> extends AsyncIterable<T> {
  /** Queues a value; false when the reader has `capacity` values waiting already — then the channel ends (`overflow`). */
  push(value: T): boolean;
  /** Ends the channel: the reader gets what is queued, then the end. */
  end(how?: ChannelEnd): void;
  /** Resolves with how the channel ended, once it has. */
  readonly ended: Promise<ChannelEnd>;
}

/**
 * A bounded channel: the producer (one event fanned out to many subscribers) never waits on a
 * slow reader, and a reader `capacity` values behind is cut off rather than allowed to hold an
 * ever longer queue. The reader iterates; breaking out of the loop ends the channel.
 */
export function createChannel<T>(capacity: number): Channel<T> {
  const queue: T[] = [];
  let ending: ChannelEnd | undefined;
  let wake: (() => void) | undefined;
  let settle!: (end: ChannelEnd) => void;
  const ended = new Promise<ChannelEnd>((resolve) => (settle = resolve));
  const end = (how: ChannelEnd = { kind: 'complete' }) => {
    if (ending) return;
    ending = how;
    settle(how);
    wake?.();
  };
  return {
    push(value) {
      if (ending) return false;
      if (queue.length >= capacity) {
        end({ kind: 'overflow' });
        return false;
      }
      queue.push(value);
      wake?.();
      return true;
    },
    end,
    ended,
    async *[Symbol.asyncIterator]() {
      try {
        for (;;) {
          if (queue.length) {
            yield queue.shift()!;
            continue;
          }
          if (ending) {
            if (ending.kind === 'error') throw ending.error;
            return;
          }
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      } finally {
        end();
      }
    },
  };
}
