import { parseFirst, pageQuery, parsePageArgs, toConnection } from '@tessera/service-kit';
import type { QueryResolvers } from '../generated/resolvers-types.js';

export const Query: QueryResolvers = {
  product: (_parent, { id }, { loaders }) => loaders.productById.load(id),
  products: async (_parent, args, { db, loaders, maxPageSize }) => {
    const page = parsePageArgs(args, { max: maxPageSize });
    const rows = await db.product.findMany(pageQuery(page, 'asc'));
    for (const row of rows) loaders.productById.prime(row.id, row);
    return toConnection(rows, page);
  },
  topProducts: async (_parent, { first }, { db, loaders, maxPageSize }) => {
    const rows = await db.product.findMany({
      take: parseFirst(first, { max: maxPageSize }), orderBy: [{ unitsSold: 'desc' }, { id: 'asc' }] });
    for (const row of rows) loaders.productById.prime(row.id, row);
    return rows;
  },
};
