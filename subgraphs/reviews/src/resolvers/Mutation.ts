import { notFound } from '@tessera/service-kit';
import { canonicalId, isRecordNotFound, isUuid } from '@tessera/subgraph-kit';
import type { MutationResolvers } from '../generated/resolvers-types.js';
import { forgetReviewsOf } from '../loaders.js';
import { validateCreateReview } from '../validation.js';

export const Mutation: MutationResolvers = {
  createReview: async (_parent, { input }, { db, loaders }) => {
    const data = validateCreateReview(input);
    const review = await db.review.create({ data });
    loaders.reviewById.prime(review.id, review);
    forgetReviewsOf(loaders, review);
    return review;
  },
  deleteReview: async (_parent, args, { db, loaders }) => {
    const id = canonicalId(args.id);
    if (!isUuid(id)) throw notFound(`No review with id "${id}".`, { id });
    try {
      // One DELETE … RETURNING: a concurrent delete makes this one NOT_FOUND, never half-done.
      const review = await db.review.delete({ where: { id } });
      loaders.reviewById.clear(id);
      forgetReviewsOf(loaders, review);
      return review;
    } catch (error) {
      if (isRecordNotFound(error)) {
        throw notFound(`No review with id "${id}".`, { id });
      }
      throw error;
    }
  },
};
