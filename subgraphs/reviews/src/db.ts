import type { Database } from '@tessera/prisma';
import { PrismaClient, type Prisma } from '@tessera/prisma/reviews';

export type ReviewsDb = PrismaClient;
/** The client inside an interactive transaction (`db.$transaction(async (tx) => …)`). */
export type ReviewsTx = Prisma.TransactionClient;

/** The reviews database's Prisma client on the given driver adapter (PostgreSQL or PGlite). */
export function createReviewsDb(adapter: Database['adapter']): ReviewsDb {
  return new PrismaClient({ adapter });
}
