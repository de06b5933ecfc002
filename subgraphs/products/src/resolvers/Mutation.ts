import { badUserInput, canonicalId, notFound, requireScope, writeTags } from '@tessera/service-kit';
import { isRecordNotFound, isUuid, uniqueViolationFields, violates } from '@tessera/subgraph-kit';
import type { MutationResolvers } from '../generated/resolvers-types.js';
import { productUpdatedTopic } from '../topics.js';
import { validateCreateProduct, validateUpdateProduct } from '../validation.js';

export const Mutation: MutationResolvers = {
  createProduct: async (_parent, { input }, { writes, loaders, identity, invalidations }, info) => {
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
    await invalidations.changed(writeTags('Product', product.id));
    loaders.productById.prime(product.id, product);
    return product;
  },
  updateProduct: async (_parent, args, { writes, loaders, identity, invalidations, events }, info) => {
    requireScope(identity, 'products:write', 'Changing a product');
    const id = canonicalId(args.id);
    const data = validateUpdateProduct(args.input);
    if (!isUuid(id)) throw notFound(`No product with id "${id}".`, { id });
    try {
      const product = await writes.once(String(info.path.key), async (tx) => {
        const updated = await tx.product.update({ where: { id }, data });
        // In the write's transaction: subscribers hear of it exactly when it commits, never if it does not.
        await events.record(tx, productUpdatedTopic(id), updated);
        return updated;
      });
      await invalidations.changed(writeTags('Product', id));
      loaders.productById.clear(id).prime(id, product);
      return product;
    } catch (error) {
      if (isRecordNotFound(error)) throw notFound(`No product with id "${id}".`, { id });
      throw error;
    }
  },
};
