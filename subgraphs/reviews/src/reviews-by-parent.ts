import { Prisma, type Review } from '@tessera/prisma/reviews';
import type { ReviewsDb } from './db.js';

/** Which parent a page of reviews hangs off. */
export type ReviewParent = 'product' | 'author';

/** One parent's page request: up to `limit` reviews older than `afterId`, newest first. */
export interface ReviewPageKey {
  parentId: string;
  /** Rows to fetch (the page size plus one look-ahead row). */
  limit: number;
  afterId: string | undefined;
}

const PARENT_COLUMN: Record<ReviewParent, Prisma.Sql> = {
  product: Prisma.raw('product_id'),
  author: Prisma.raw('author_id'),
};

/**
 * Pages of reviews for many parents in ONE statement: each (parent, after, limit) triple
 * drives an index range scan through a LATERAL join, so every parent gets its own
 * `first`/`after` — Prisma's `findMany` can only limit the whole result, not per group.
 * Returns one array per key, in key order.
 */
export async function fetchReviewPages(db: ReviewsDb, parent: ReviewParent, keys: readonly ReviewPageKey[]): Promise<Review[][]> {
  const column = PARENT_COLUMN[parent];
  const rows = await db.$queryRaw<Array<Review & { ord: number }>>`
    SELECT p.ord::int AS ord, r.id, r.rating, r.body, r.author_id AS "authorId",
           r.product_id AS "productId", r.created_at AS "createdAt"
    FROM unnest(${keys.map((k) => k.parentId)}::uuid[], ${keys.map((k) => k.afterId ?? null)}::uuid[],
                ${keys.map((k) => k.limit)}::int[]) WITH ORDINALITY AS p(parent_id, after_id, lim, ord)
    CROSS JOIN LATERAL (
      SELECT * FROM reviews
      WHERE ${column} = p.parent_id AND (p.after_id IS NULL OR id < p.after_id)
      ORDER BY id DESC
      LIMIT p.lim
    ) r
    ORDER BY p.ord, r.id DESC`;
  const pages: Review[][] = keys.map(() => []);
  for (const { ord, ...review } of rows) pages[ord - 1]!.push(review);
  return pages;
}

/** Review count and mean rating of one product. */
export interface RatingSummary {
  count: number;
  average: number | null;
}

/** Count and average rating for many products in one `GROUP BY` statement, in key order. */
export async function fetchRatingSummaries(db: ReviewsDb, productIds: readonly string[]): Promise<RatingSummary[]> {
  const groups = await db.review.groupBy({
    by: ['productId'],
    where: { productId: { in: [...productIds] } },
    _count: { _all: true },
    _avg: { rating: true },
  });
  const byId = new Map(groups.map((g) => [g.productId, { count: g._count._all, average: g._avg.rating }]));
  return productIds.map((id) => byId.get(id) ?? { count: 0, average: null });
}
