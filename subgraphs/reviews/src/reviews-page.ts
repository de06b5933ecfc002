import { pageQuery, parsePageArgs, toConnection, type Connection } from '@tessera/service-kit';
import type { Review } from '@tessera/prisma/reviews';
import type { Context } from './context.js';

/** One page of a parent's reviews, newest first. */
export async function reviewsPage(
  where: { productId: string } | { authorId: string },
  args: { first?: number | null; after?: string | null },
  { db, loaders, maxPageSize }: Context,
): Promise<Connection<Review>> {
  const page = parsePageArgs(args, { max: maxPageSize });
  const rows = await db.review.findMany(pageQuery(page, 'desc', where));
  for (const row of rows) loaders.reviewById.prime(row.id, row);
  return toConnection(rows, page);
}
