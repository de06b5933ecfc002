import { loadReference } from '@tessera/subgraph-kit';
import type { ReviewResolvers } from '../generated/resolvers-types.js';

export const Review: ReviewResolvers = {
  __resolveReference: (reference, { loaders }) => loadReference(loaders.reviewById, 'Review', 'id', reference.id),
  author: (review) => ({ id: review.authorId }),
  product: (review) => ({ id: review.productId }),
};
