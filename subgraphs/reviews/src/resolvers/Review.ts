import type { ReviewResolvers } from '../generated/resolvers-types.js';

export const Review: ReviewResolvers = {
  __resolveReference: (reference, { loaders }) => loaders.reviewById.load(reference.id),
  author: (review) => ({ id: review.authorId }),
  product: (review) => ({ id: review.productId }),
};
