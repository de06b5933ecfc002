/**
 * Events that survive failures: a transactional outbox in the subgraph's own database. A write
 * records its event in its transaction (`request-events.ts`, SQL in `store.ts`); the relay
 * publishes committed events to the bus (`relay.ts`; Redis pub/sub `redis-bus.ts`, or in process
 * `memory-bus.ts`); each process's hub hands every subscriber each event of its topic once, in
 * order, filling what the bus missed from the database (`hub.ts`, `sequence.ts`, `subscription.ts`).
 */
export type { TopicEvent, EventBus, BusListener } from './types.js';
export { recordEvent, readTopic, topicHeads, topicBounds, readUnpublished, markPublished, pruneEvents, relayLagSeconds } from './store.js';
export { takeInOrder, type Taken } from './sequence.js';
export { SubscriptionQueue, type SubscriptionQueueOptions } from './subscription.js';
export { createEventHub, HUB_DEFAULTS, type EventHub, type EventHubOptions } from './hub.js';
export { startRelay, RELAY_DEFAULTS, type Relay, type RelayOptions } from './relay.js';
export { createMemoryBus } from './memory-bus.js';
export { createRedisBus, type RedisBusOptions } from './redis-bus.js';
export { createEventMetrics, topicKind, type EventMetrics } from './metrics.js';
export { createRequestEvents, type RequestEvents, type RequestEventsOptions } from './request-events.js';
export { startEvents, type EventSettings, type EventsOptions, type EventsRuntime } from './runtime.js';
export { eventsExpired, subscriberTooSlow, type TopicBounds } from './errors.js';
