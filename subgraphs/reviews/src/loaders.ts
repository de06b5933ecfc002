import type { Review } from '@tessera/prisma/reviews';
import { canonicalId, createBatchLoader, createRowLoader, isUuid, UUID_KEYS, type BatchOptions } from '@tessera/subgraph-kit';
import type { ReviewsDb } from './db.js';
import { fetchRatingSummaries, fetchReviewPages, type RatingSummary, type ReviewPageKey, type ReviewParent } from './reviews-by-parent.js';

const NO_REVIEWS: Review[] = [];
const NO_RATINGS: RatingSummary = { count: 0, average: null };

/** Per-request loaders of the reviews subgraph. Create one set per request, never share. */
export function createLoaders(db: ReviewsDb, batching: BatchOptions = {}) {
  const pages = (parent: ReviewParent) =>
    createBatchLoader((keys: ReviewPageKey[]) => fetchReviewPages(db, parent, keys), {
      name: parent === 'product' ? 'reviewPagesByProduct' : 'reviewPagesByAuthor',
      ...batching,
      missing: NO_REVIEWS,
      // Ids from other subgraphs are UUIDs; anything else cannot have reviews (and must not reach a ::uuid cast).
      isValidKey: (k) => isUuid(k.parentId) && (k.afterId === undefined || isUuid(k.afterId)),
      canonicalKey: (k) => ({ ...k, parentId: canonicalId(k.parentId) }),
      cacheKeyFn: pageCacheKey,
    });

  return {
    /** Reviews by id: one `WHERE id IN (...)` per batch. */
    reviewById: createRowLoader(
      (ids) => db.review.findMany({ where: { id: { in: ids } } }),
      (r) => r.id,
      {
        name: 'reviewById',
        ...batching,
        ...UUID_KEYS,
      },
    ),
    /** `Product.reviews` pages: one LATERAL statement for every product of a batch. */
    reviewPagesByProduct: pages('product'),
    /** `User.reviews` pages: one LATERAL statement for every author of a batch. */
    reviewPagesByAuthor: pages('author'),
    /** `Product.averageRating` and `reviewCount` together: one GROUP BY statement per batch. */
    ratingSummaryByProduct: createBatchLoader((ids: string[]) => fetchRatingSummaries(db, ids), {
      name: 'ratingSummaryByProduct',
      ...batching,
      missing: NO_RATINGS,
      ...UUID_KEYS,
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/** A review was written or removed: drop every cached page and summary that could include it. */
export function forgetReviewsOf(loaders: Loaders, review: Pick<Review, 'productId' | 'authorId'>): void {
  // Page keys also carry `first`/`after`, so they cannot be cleared one parent at a time.
  loaders.reviewPagesByProduct.clearAll();
  loaders.reviewPagesByAuthor.clearAll();
  loaders.ratingSummaryByProduct.clear(review.productId);
}

function pageCacheKey({ parentId, limit, afterId }: ReviewPageKey): string {
  return `${parentId}|${limit}|${afterId ?? ''}`;
}
