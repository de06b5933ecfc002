import { badUserInput, requireScope } from '@tessera/service-kit';
import { uniqueViolationFields, violates } from '@tessera/subgraph-kit';
import type { MutationResolvers } from '../generated/resolvers-types.js';
import { validateCreateProduct } from '../validation.js';

export const Mutation: MutationResolvers = {
  createProduct: async (_parent, { input }, { writes, loaders, identity }, info) => {
    requireScope(identity, 'products:write', 'Listing a product');
    const data = validateCreateProduct(input);
    const product = await writes.once(String(info.path.key), async (tx) => {
      try {
        return await tx.product.create({ data });
      } catch (error) {
        if (violates(uniqueViolationFields(error), 'sku')) throw badUserInput('That SKU is already taken.', 'input.sku');
        throw error;
      }
    });
    loaders.productById.prime(product.id, product);
    return product;
  },
};
