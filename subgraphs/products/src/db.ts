import type { Database } from '@tessera/prisma';
import { PrismaClient, type Prisma } from '@tessera/prisma/products';

export type ProductsDb = PrismaClient;
/** The client inside an interactive transaction (`db.$transaction(async (tx) => …)`). */
export type ProductsTx = Prisma.TransactionClient;

/** The products database's Prisma client on the given driver adapter (PostgreSQL or PGlite). */
export function createProductsDb(adapter: Database['adapter']): ProductsDb {
  return new PrismaClient({ adapter });
}
