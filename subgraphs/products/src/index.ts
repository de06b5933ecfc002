import { readFileSync } from 'node:fs';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import type { SubgraphDefinition } from '@tessera/service-kit';
import { parse } from 'graphql';
import { createContext, type Context } from './context.js';
import { createProductsDb, type ProductsDb } from './db.js';
import { resolvers } from './resolvers/index.js';
import { seedProducts } from './seed.js';

export { loadConfig } from './config.js';
export { createContext, type Context } from './context.js';
export { createProductsDb, type ProductsDb } from './db.js';
export { seededProduct } from './seed.js';

/** The products subgraph: owns `Product` and `Money`. */
export const productsSubgraph: SubgraphDefinition<ProductsDb, Context> = {
  name: 'products',
  defaultPort: 4002,
  typeDefs: parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8')),
  resolvers: resolvers as GraphQLResolverMap<Context>,
  createClient: createProductsDb,
  createContext,
  isEmpty: async (db) => (await db.product.findFirst({ select: { id: true } })) === null,
  seed: seedProducts,
};
