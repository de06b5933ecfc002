import { Counter, Gauge, type Registry } from 'prom-client';

/** What a topic is counted under: its kind (`reviewAdded`), never the whole topic (one per product would grow without bound). */
export function topicKind(topic: string): string {
  const colon = topic.indexOf(':');
  return colon === -1 ? topic : topic.slice(0, colon);
}

/** The outbox's metrics, in the runtime's registry. */
export interface EventMetrics {
  recorded: Counter<'kind'>;
  published: Counter;
  publishFailures: Counter;
  subscriptions: Gauge;
  delivered: Counter<'source'>;
  resumptions: Counter<'outcome'>;
}

/**
 * Events recorded by committed writes and published by the relay, the relay's lag (read from the
 * database at each scrape, so every replica reports it whichever relay holds the lock), active
 * subscriptions, events delivered to them (live from the bus, or read from the database to fill a
 * gap, resume or catch up), and resumptions.
 */
export function createEventMetrics(registry: Registry | undefined, relayLag?: () => Promise<number>): EventMetrics {
  const registers = registry ? [registry] : [];
  if (relayLag) {
    new Gauge({
      name: 'events_relay_lag_seconds',
      help: 'Age of the oldest committed event not yet published to the bus (0: none waiting).',
      registers,
      async collect() {
        // A scrape while the database is away keeps the last value rather than failing the whole scrape.
        const lag = await relayLag().catch(() => undefined);
        if (lag !== undefined) this.set(lag);
      },
    });
  }
  return {
    recorded: new Counter({
      name: 'events_recorded_total',
      help: 'Events recorded by committed writes, by kind.',
      labelNames: ['kind'],
      registers,
    }),
    published: new Counter({ name: 'events_published_total', help: 'Events the relay published to the bus.', registers }),
    publishFailures: new Counter({
      name: 'events_publish_failures_total',
      help: 'Batches the bus did not take (left unpublished, published again later).',
      registers,
    }),
    subscriptions: new Gauge({ name: 'events_subscriptions_active', help: 'Subscriptions this process is serving.', registers }),
    delivered: new Counter({
      name: 'events_delivered_total',
      help: 'Events handed to subscriptions: live from the bus, or read from the database (resume, gap, catch-up).',
      labelNames: ['source'],
      registers,
    }),
    resumptions: new Counter({
      name: 'events_resumptions_total',
      help: 'Subscriptions started after a given event, by outcome (resumed, expired).',
      labelNames: ['outcome'],
      registers,
    }),
  };
}
