import type { Review } from '@tessera/prisma/reviews';
import { parsePageArgs, toConnection, type Connection, type PageArgs } from '@tessera/subgraph-kit';
import type { Context } from './context.js';

/** One page of a parent's reviews, newest first, through the batching loader. */
export async function reviewsPage(
  parent: 'product' | 'author',
  parentId: string,
  args: PageArgs,
  { loaders, maxPageSize }: Context,
): Promise<Connection<Review>> {
  const page = parsePageArgs(args, { max: maxPageSize });
  const loader = parent === 'product' ? loaders.reviewPagesByProduct : loaders.reviewPagesByAuthor;
  const rows = await loader.load({ parentId, limit: page.first + 1, afterId: page.afterId });
  for (const row of rows) loaders.reviewById.prime(row.id, row);
  return toConnection(rows, page);
}
