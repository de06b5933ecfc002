import type { Database } from '@tessera/prisma';
import { PrismaClient } from '@tessera/prisma/users';

export type UsersDb = PrismaClient;

/** The users database's Prisma client on the given driver adapter (PostgreSQL or PGlite). */
export function createUsersDb(adapter: Database['adapter']): UsersDb {
  return new PrismaClient({ adapter });
}
