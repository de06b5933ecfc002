import { readTypeDefs, type SubgraphDefinition, type SubgraphResolvers } from '@tessera/subgraph-kit';
import { createContext, type Context } from './context.js';
import { createReviewsDb, type ReviewsDb } from './db.js';
import { resolvers } from './resolvers/index.js';
import { seedReviews } from './seed.js';

export { loadConfig } from './config.js';
export type { ReviewsDb } from './db.js';

/** The reviews subgraph: owns `Review`; adds reviews and ratings to `User` and `Product`; `reviewAdded` events. */
export const reviewsSubgraph: SubgraphDefinition<ReviewsDb, Context> = {
  name: 'reviews',
  events: true,
  typeDefs: readTypeDefs(new URL('../schema.graphql', import.meta.url)),
  resolvers: resolvers as SubgraphResolvers<Context>,
  createClient: createReviewsDb,
  createContext,
  isEmpty: async (db) => (await db.review.findFirst({ select: { id: true } })) === null,
  seed: seedReviews,
};
