import { idReference } from '@tessera/subgraph-kit';
import type { ProductResolvers } from '../generated/resolvers-types.js';
import { reviewsPage } from '../reviews-page.js';

export const Product: ProductResolvers = {
  __resolveReference: (reference) => idReference(reference),
  reviews: (product, args, context) => reviewsPage('product', product.id, args, context),
  averageRating: async (product, _args, { loaders }) => (await loaders.ratingSummaryByProduct.load(product.id)).average,
  reviewCount: async (product, _args, { loaders }) => (await loaders.ratingSummaryByProduct.load(product.id)).count,
};
