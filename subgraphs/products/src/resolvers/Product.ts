import { loadReference } from '@tessera/subgraph-kit';
import type { ProductResolvers } from '../generated/resolvers-types.js';

export const Product: ProductResolvers = {
  __resolveReference: (reference, { loaders }) =>
    'id' in reference
      ? loadReference(loaders.productById, 'Product', 'id', reference.id)
      : loadReference(loaders.productBySku, 'Product', 'sku', reference.sku),
  price: (product) => ({ amount: product.priceAmount, currency: product.priceCurrency }),
};
