import type { QueryResolvers } from '../generated/resolvers-types.js';

export const Query: QueryResolvers = {
  review: (_parent, { id }, { loaders }) => loaders.reviewById.load(id),
};
