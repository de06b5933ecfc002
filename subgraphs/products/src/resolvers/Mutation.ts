import { badUserInput, requireScope } from '@tessera/service-kit';
import { uniqueViolationFields, violates } from '@tessera/subgraph-kit';
import type { MutationResolvers } from '../generated/resolvers-types.js';
import { validateCreateProduct } from '../validation.js';

export const Mutation: MutationResolvers = {
  createProduct: async (_parent, { input }, { db, loaders, identity }) => {
    requireScope(identity, 'products:write', 'Listing a product');
    const data = validateCreateProduct(input);
    try {
      const product = await db.product.create({ data });
      loaders.productById.prime(product.id, product);
      return product;
    } catch (error) {
      if (violates(uniqueViolationFields(error), 'sku')) {
        throw badUserInput('That SKU is already taken.', 'input.sku');
      }
      throw error;
    }
  },
};
