import type { ProductResolvers } from '../generated/resolvers-types.js';

export const Product: ProductResolvers = {
  __resolveReference: (reference, { loaders }) =>
    'id' in reference ? loaders.productById.load(reference.id) : loaders.productBySku.load(reference.sku),
  price: (product) => ({ amount: product.priceAmount, currency: product.priceCurrency }),
};
