import { findPage, parseFirst } from '@tessera/subgraph-kit';
import type { QueryResolvers } from '../generated/resolvers-types.js';

/** `topProducts(first:)` left out or null, as the schema's default says. */
const TOP_PRODUCTS_DEFAULT = 5;

export const Query: QueryResolvers = {
  product: (_parent, { id }, { loaders }) => loaders.productById.load(id),
  products: (_parent, args, { reader, loaders, maxPageSize }) =>
    findPage(args, { max: maxPageSize, findMany: (query) => reader.product.findMany(query), loader: loaders.productById }),
  topProducts: async (_parent, { first }, { reader, loaders, maxPageSize }) => {
    const take = parseFirst(first ?? TOP_PRODUCTS_DEFAULT, { max: maxPageSize });
    const rows = await reader.product.findMany({ take, orderBy: [{ unitsSold: 'desc' }, { id: 'asc' }] });
    for (const row of rows) loaders.productById.prime(row.id, row);
    return rows;
  },
};
