import type { Database } from '@tessera/prisma';
import { PrismaClient, type Prisma } from '@tessera/prisma/users';

export type UsersDb = PrismaClient;
/** The client inside an interactive transaction (`db.$transaction(async (tx) => …)`). */
export type UsersTx = Prisma.TransactionClient;

/** The users database's Prisma client on the given driver adapter (PostgreSQL or PGlite). */
export function createUsersDb(adapter: Database['adapter']): UsersDb {
  return new PrismaClient({ adapter });
}
