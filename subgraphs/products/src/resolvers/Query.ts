import { findPage, parseFirst } from '@tessera/subgraph-kit';
import type { QueryResolvers } from '../generated/resolvers-types.js';

export const Query: QueryResolvers = {
  product: (_parent, { id }, { loaders }) => loaders.productById.load(id),
  products: (_parent, args, { db, loaders, maxPageSize }) =>
    findPage(args, { max: maxPageSize, findMany: (query) => db.product.findMany(query), loader: loaders.productById }),
  topProducts: async (_parent, { first }, { db, loaders, maxPageSize }) => {
    const rows = await db.product.findMany({ take: parseFirst(first, { max: maxPageSize }), orderBy: [{ unitsSold: 'desc' }, { id: 'asc' }] });
    for (const row of rows) loaders.productById.prime(row.id, row);
    return rows;
  },
};
