import type { TopicEvent } from '@tessera/subgraph-kit';
import type { SubscriptionResolvers } from '../generated/resolvers-types.js';
import { productOf, productUpdatedTopic } from '../topics.js';

export const Subscription: SubscriptionResolvers = {
  productUpdated: {
    // From where the client resumes (the runtime put its last event id into the context), else from now.
    subscribe: (_parent, { id }, { events }) => events.subscribe(productUpdatedTopic(id)),
    resolve: (event: TopicEvent) => productOf(event),
  },
};
