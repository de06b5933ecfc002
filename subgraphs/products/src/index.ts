import { readTypeDefs, type SubgraphDefinition, type SubgraphResolvers } from '@tessera/subgraph-kit';
import { createContext, type Context } from './context.js';
import { createProductsDb, type ProductsDb } from './db.js';
import { resolvers } from './resolvers/index.js';
import { seedProducts } from './seed.js';

export { loadConfig } from './config.js';
export type { ProductsDb } from './db.js';

/** The products subgraph: owns `Product` and `Money`; `productUpdated` events. */
export const productsSubgraph: SubgraphDefinition<ProductsDb, Context> = {
  name: 'products',
  events: true,
  typeDefs: readTypeDefs(new URL('../schema.graphql', import.meta.url)),
  resolvers: resolvers as SubgraphResolvers<Context>,
  createClient: createProductsDb,
  createContext,
  isEmpty: async (db) => (await db.product.findFirst({ select: { id: true } })) === null,
  seed: seedProducts,
};
