import { idReference } from '@tessera/subgraph-kit';
import type { UserResolvers } from '../generated/resolvers-types.js';
import { reviewsPage } from '../reviews-page.js';

export const User: UserResolvers = {
  // Any id is a valid reference: a user with no reviews simply has an empty page.
  __resolveReference: (reference) => idReference(reference),
  reviews: (user, args, context) => reviewsPage('author', user.id, args, context),
};
