import { loadByKey } from '@tessera/subgraph-kit';
import type { ProductResolvers } from '../generated/resolvers-types.js';

export const Product: ProductResolvers = {
  __resolveReference: (reference, { loaders }) =>
    'id' in reference ? loadByKey(loaders.productById, reference.id) : loadByKey(loaders.productBySku, reference.sku),
  price: (product) => ({ amount: product.priceAmount, currency: product.priceCurrency }),
};
