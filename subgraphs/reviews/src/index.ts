import { readFileSync } from 'node:fs';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import type { SubgraphDefinition } from '@tessera/service-kit';
import { parse } from 'graphql';
import { createContext, type Context } from './context.js';
import { createReviewsDb, type ReviewsDb } from './db.js';
import { resolvers } from './resolvers/index.js';
import { seedReviews } from './seed.js';

export { loadConfig } from './config.js';
export { createContext, type Context } from './context.js';
export { createReviewsDb, type ReviewsDb } from './db.js';
export { seededReview } from './seed.js';

/** The reviews subgraph: owns `Review`; adds reviews and ratings to `User` and `Product`. */
export const reviewsSubgraph: SubgraphDefinition<ReviewsDb, Context> = {
  name: 'reviews',
  defaultPort: 4003,
  typeDefs: parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8')),
  resolvers: resolvers as GraphQLResolverMap<Context>,
  createClient: createReviewsDb,
  createContext,
  isEmpty: async (db) => (await db.review.findFirst({ select: { id: true } })) === null,
  seed: seedReviews,
};
