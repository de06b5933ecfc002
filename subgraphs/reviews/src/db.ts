import type { Database } from '@tessera/prisma';
import { PrismaClient } from '@tessera/prisma/reviews';

export type ReviewsDb = PrismaClient;

/** The reviews database's Prisma client on the given driver adapter (PostgreSQL or PGlite). */
export function createReviewsDb(adapter: Database['adapter']): ReviewsDb {
  return new PrismaClient({ adapter });
}
