import { EventEmitter } from 'node:events';
import type { EventBus, TopicEvent } from './types.js';

/**
 * The bus of one process (no `REDIS_URL`: development, or a single replica): what its relay
 * publishes reaches its own hub. Another process on the same database hears nothing from it;
 * its hub's catch-up reads such events from the database instead.
 */
export function createMemoryBus(): EventBus {
  const emitter = new EventEmitter();
  // Any number of hubs may listen (tests start several in one process).
  emitter.setMaxListeners(0);
  return {
    async publish(events) {
      // After the publisher's turn, as a message from Redis would arrive: a listener never runs inside the relay's transaction.
      queueMicrotask(() => emitter.emit('events', events));
    },
    listen(listener) {
      const handler = (events: readonly TopicEvent[]) => listener(events);
      emitter.on('events', handler);
      return {
        async close() {
          emitter.off('events', handler);
        },
      };
    },
  };
}
