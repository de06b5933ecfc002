import type { Logger, RedisClient } from '@tessera/service-kit';
import type { BusListener, EventBus, TopicEvent } from './types.js';

/** Options of {@link createRedisBus}. */
export interface RedisBusOptions {
  /** The runtime's Redis client: it publishes; listeners subscribe on a duplicate of it (a subscribed connection can do nothing else). */
  redis: RedisClient;
  /** `<REDIS_KEY_PREFIX>events:<subgraph>`: one channel per subgraph, shared by its replicas. */
  channel: string;
  logger: Logger;
}

/** One message: a batch of events, `createdAt` in epoch milliseconds. */
interface Message {
  events: Array<{ topic: string; seq: number; payload: unknown; createdAt: number }>;
}

/**
 * The bus replicas share: Redis pub/sub on one channel per subgraph. Pub/sub keeps nothing: a
 * listener disconnected while a batch was published never hears it, which the hub's catch-up
 * covers. A batch Redis does not take (down, too slow) rejects, and the relay publishes it again.
 */
export function createRedisBus({ redis, channel, logger }: RedisBusOptions): EventBus {
  return {
    async publish(events) {
      const message: Message = { events: events.map((event) => ({ ...event, createdAt: event.createdAt.getTime() })) };
      await redis.publish(channel, JSON.stringify(message));
    },
    listen(listener) {
      return listenOn(redis, channel, logger, listener);
    },
  };
}

function listenOn(redis: RedisClient, channel: string, logger: Logger, listener: (events: readonly TopicEvent[]) => void): BusListener {
  const subscriber = redis.duplicate();
  let down = false;
  subscriber.on('error', (error: unknown) => {
    if (!down) logger.warn({ err: error, channel }, 'event bus subscriber lost redis: missed events are read from the database');
    down = true;
  });
  // (Re)subscribe whenever the connection is ready: at start, and after Redis comes back.
  subscriber.on('ready', () => {
    down = false;
    subscriber.subscribe(channel).catch((error: unknown) => logger.warn({ err: error, channel }, 'event bus subscribe failed'));
  });
  subscriber.on('message', (from: string, text: string) => {
    if (from !== channel) return;
    const events = decode(text);
    if (events) listener(events);
    else logger.warn({ channel }, 'event bus message not understood: ignored');
  });
  return {
    async close() {
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}

function decode(text: string): TopicEvent[] | undefined {
  try {
    const message = JSON.parse(text) as Partial<Message>;
    if (!Array.isArray(message.events)) return undefined;
    return message.events.map((event) => ({ ...event, createdAt: new Date(event.createdAt) }));
  } catch {
    return undefined;
  }
}
