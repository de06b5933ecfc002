import { isUuid } from '@tessera/service-kit';
import type { ProductResolvers } from '../generated/resolvers-types.js';
import { reviewsPage } from '../reviews-page.js';

export const Product: ProductResolvers = {
  __resolveReference: (reference) => ({ id: reference.id }),
  reviews: (product, args, context) => reviewsPage({ productId: product.id }, args, context),
  averageRating: async (product, _args, { db }) => {
    if (!isUuid(product.id)) return null;
    const { _avg } = await db.review.aggregate({ where: { productId: product.id }, _avg: { rating: true } });
    return _avg.rating;
  },
  reviewCount: (product, _args, { db }) =>
    isUuid(product.id) ? db.review.count({ where: { productId: product.id } }) : 0,
};
