/**
 * Subscriptions through the federation: admitted as any operation, planned by Apollo's query
 * planner, subscribed on the subgraph that owns the root field (GraphQL over SSE, signed), each
 * event completed by the other subgraphs and fanned out; to clients over WebSocket
 * (graphql-transport-ws) and server-sent events (GraphQL over SSE), on the GraphQL path.
 */
export { createSubscriptionEngine, type SubscriptionEngine, type SubscriptionEngineOptions, type Subscribed } from './engine.js';
export { createSubscriberCounts, SUBSCRIPTION_LIMITS_DEFAULTS, type SubscriberCounts, type SubscriptionLimits } from './counts.js';
export { createSseTransport, type SseTransportOptions, type StreamParams } from './sse.js';
export { createWebSocketTransport, GRAPHQL_TRANSPORT_WS, WEBSOCKET_DEFAULTS, type WebSocketTransportOptions } from './ws.js';
export { createSubscriptionMetrics, type SubscriptionMetrics } from './metrics.js';
export { createChannel, type Channel, type ChannelEnd } from './channel.js';
export {
  createSubscriptions,
  SUBSCRIPTIONS_DEFAULTS,
  type Subscriptions,
  type SubscriptionSettings,
  type SubscriptionsOptions,
} from './subscriptions.js';
