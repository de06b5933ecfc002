import type { Review } from '@tessera/prisma/reviews';
import { createRowLoader, isUuid, type BatchOptions } from '@tessera/service-kit';
import DataLoader from 'dataloader';
import type { ReviewsDb } from './db.js';
import { fetchRatingSummaries, fetchReviewPages, type RatingSummary, type ReviewPageKey, type ReviewParent } from './reviews-by-parent.js';

/** Per-request loaders of the reviews subgraph. Create one set per request, never share. */
export function createLoaders(db: ReviewsDb, batching: BatchOptions = {}) {
  const options = { maxBatchSize: batching.maxBatchSize ?? 500, batch: batching.batch ?? true };
  const pages = (parent: ReviewParent) =>
    new DataLoader<ReviewPageKey, Review[], string>(
      async (keys) => {
        // Ids from other subgraphs are UUIDs; anything else cannot have reviews (and must not reach a ::uuid cast).
        const valid = keys.filter((k) => isUuid(k.parentId) && (k.afterId === undefined || isUuid(k.afterId)));
        const fetched = valid.length ? await fetchReviewPages(db, parent, valid) : [];
        const byKey = new Map(valid.map((k, i) => [pageCacheKey(k), fetched[i]!]));
        return keys.map((k) => byKey.get(pageCacheKey(k)) ?? []);
      },
      { ...options, cacheKeyFn: pageCacheKey },
    );

  return {
    /** Reviews by id: one `WHERE id IN (...)` per batch. */
    reviewById: createRowLoader((ids) => db.review.findMany({ where: { id: { in: ids } } }), (r) => r.id, {
      ...options,
      isValidKey: isUuid,
    }),
    /** `Product.reviews` pages: one LATERAL statement for every product of a batch. */
    reviewPagesByProduct: pages('product'),
    /** `User.reviews` pages: one LATERAL statement for every author of a batch. */
    reviewPagesByAuthor: pages('author'),
    /** `Product.averageRating` and `reviewCount` together: one GROUP BY statement per batch. */
    ratingSummaryByProduct: new DataLoader<string, RatingSummary>(async (ids) => {
      const valid = ids.filter(isUuid);
      const summaries = valid.length ? await fetchRatingSummaries(db, valid) : [];
      const byId = new Map(valid.map((id, i) => [id, summaries[i]!]));
      return ids.map((id) => byId.get(id) ?? { count: 0, average: null });
    }, options),
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
