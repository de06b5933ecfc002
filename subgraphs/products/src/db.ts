import type { Database } from '@tessera/prisma';
import { PrismaClient } from '@tessera/prisma/products';

export type ProductsDb = PrismaClient;

/** The products database's Prisma client on the given driver adapter (PostgreSQL or PGlite). */
export function createProductsDb(adapter: Database['adapter']): ProductsDb {
  return new PrismaClient({ adapter });
}
