import { badUserInput, forbidden, notFound, unauthenticated, writeTags, type CacheTag, type Identity } from '@tessera/service-kit';
import { canonicalId, isRecordNotFound, isUuid } from '@tessera/subgraph-kit';
import type { Context } from '../context.js';
import type { MutationResolvers } from '../generated/resolvers-types.js';
import { forgetReviewsOf } from '../loaders.js';
import { reviewAddedTopic } from '../topics.js';
import { validateCreateReview, validateUpdateReview } from '../validation.js';

/** Scope that lets a moderator delete anyone's review. */
const MODERATE = 'reviews:moderate';

export const Mutation: MutationResolvers = {
  createReview: async (_parent, { input }, context, info) => {
    const caller = signedInUser(context.identity);
    const data = validateCreateReview({ ...input, authorId: input.authorId ?? caller });
    if (data.authorId !== caller) throw forbidden('A review can only be written as the signed-in user.', { field: 'input.authorId' });
    await requireExisting(context, data);
    const review = await context.writes.once(String(info.path.key), async (tx) => {
      const created = await tx.review.create({ data });
      // In the write's transaction: subscribers hear of it exactly when it commits, never if it does not.
      await context.events.record(tx, reviewAddedTopic(created.productId), created);
      return created;
    });
    await context.invalidations.changed(changedBy(review));
    context.loaders.reviewById.prime(review.id, review);
    forgetReviewsOf(context.loaders, review);
    return review;
  },
  deleteReview: async (_parent, args, { db, loaders, identity, writes, invalidations }, info) => {
    const caller = signedInUser(identity);
    const id = canonicalId(args.id);
    if (!isUuid(id)) throw notFound(`No review with id "${id}".`, { id });
    try {
      // One DELETE … WHERE id AND (author = caller, unless a moderator) RETURNING: the rule and
      // the write are one statement, so a refused request deletes nothing.
      const review = await writes.once(String(info.path.key), (tx) =>
        tx.review.delete({ where: { id, ...(!identity.scopes.has(MODERATE) && { authorId: caller }) } }),
      );
      await invalidations.changed(changedBy(review));
      loaders.reviewById.clear(id);
      forgetReviewsOf(loaders, review);
      return review;
    } catch (error) {
      if (!isRecordNotFound(error)) throw error;
      if (await db.review.findUnique({ where: { id }, select: { id: true } })) {
        throw forbidden(`Only its author, or the scope ${MODERATE}, may delete a review.`, { id, scope: MODERATE });
      }
      throw notFound(`No review with id "${id}".`, { id });
    }
  },
  updateReview: async (_parent, args, { db, loaders, identity, writes, invalidations }, info) => {
    const caller = signedInUser(identity);
    const id = canonicalId(args.id);
    const data = validateUpdateReview(args.input);
    if (!isUuid(id)) throw notFound(`No review with id "${id}".`, { id });
    try {
      // One UPDATE … WHERE id AND author = caller: the rule and the write are one statement.
      const review = await writes.once(String(info.path.key), (tx) => tx.review.update({ where: { id, authorId: caller }, data }));
      await invalidations.changed(changedBy(review));
      loaders.reviewById.clear(id).prime(id, review);
      forgetReviewsOf(loaders, review);
      return review;
    } catch (error) {
      if (!isRecordNotFound(error)) throw error;
      if (await db.review.findUnique({ where: { id }, select: { id: true } }))
        throw forbidden('Only its author may change a review.', { id });
      throw notFound(`No review with id "${id}".`, { id });
    }
  },
};

/**
 * What a write of a review changes for the caches: the review, its product (average rating,
 * count and pages of reviews) and its author (their pages of reviews).
 */
function changedBy(review: { id: string; productId: string; authorId: string }): CacheTag[] {
  return [...writeTags('Review', review.id), ...writeTags('Product', review.productId), ...writeTags('User', review.authorId)];
}

/** The caller's user id; the gateway lets no anonymous request reach these fields (`@authenticated`). */
function signedInUser(identity: Identity): string {
  if (!identity.sub) throw unauthenticated('Sign in to write or delete a review.');
  return canonicalId(identity.sub);
}

/** Refuses a review of a product, or by an author, that its owning subgraph does not know. */
async function requireExisting({ owners }: Context, { productId, authorId }: { productId: string; authorId: string }): Promise<void> {
  const [missingProducts, missingUsers] = await Promise.all([
    owners.products.missing('Product', [productId]),
    owners.users.missing('User', [authorId]),
  ]);
  if (missingProducts.length) throw badUserInput(`No product with id "${productId}".`, 'input.productId');
  if (missingUsers.length) throw badUserInput(`No user with id "${authorId}" (the signed-in user) exists.`, 'input.authorId');
}
