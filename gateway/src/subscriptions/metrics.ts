import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What the subscriptions count: who is subscribed, events in and out, fan-out, lag and who was cut off. */
export type SubscriptionMetrics = ReturnType<typeof createSubscriptionMetrics>;

export function createSubscriptionMetrics(registry: Registry | undefined, active: () => Record<string, number>) {
  const registers = registry ? [registry] : [];
  return {
    active: new Gauge({
      name: 'subscriptions_active',
      help: 'Subscriptions being served, by transport (ws, sse).',
      labelNames: ['transport'],
      registers,
      collect() {
        for (const [transport, count] of Object.entries(active())) this.set({ transport }, count);
      },
    }),
    eventsIn: new Counter({
      name: 'subscription_events_received_total',
      help: 'Events received from subgraphs, by subgraph.',
      labelNames: ['subgraph'],
      registers,
    }),
    eventsOut: new Counter({
      name: 'subscription_events_sent_total',
      help: 'Events sent to clients, by transport.',
      labelNames: ['transport'],
      registers,
    }),
    fanOut: new Histogram({
      name: 'subscription_fanout',
      help: 'Subscribers one event of a subgraph was delivered to (they share its subscription and its execution).',
      buckets: [1, 2, 5, 10, 50, 100, 500, 1_000, 5_000, 10_000],
      registers,
    }),
    lag: new Histogram({
      name: 'subscription_delivery_lag_seconds',
      help: "From an event's commit in its subgraph's database to the gateway having it.",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    }),
    dropped: new Counter({
      name: 'subscription_consumers_dropped_total',
      help: 'Subscriptions ended by the gateway, by reason (slow: a client that did not read; expired: its token; rate_limited; limit: over a subscription limit).',
      labelNames: ['reason'],
      registers,
    }),
    resumed: new Counter({
      name: 'subscription_upstream_resumed_total',
      help: "Subscriptions to a subgraph resumed after the last event's id, once their stream broke off.",
      labelNames: ['subgraph'],
      registers,
    }),
  };
}
