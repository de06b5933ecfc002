import type { TopicEvent } from '@tessera/subgraph-kit';
import type { SubscriptionResolvers } from '../generated/resolvers-types.js';
import { reviewAddedTopic, reviewOf } from '../topics.js';

export const Subscription: SubscriptionResolvers = {
  reviewAdded: {
    // From where the client resumes (the runtime put its last event id into the context), else from now.
    subscribe: (_parent, { productId }, { events }) => events.subscribe(reviewAddedTopic(productId)),
    resolve: (event: TopicEvent) => reviewOf(event),
  },
};
