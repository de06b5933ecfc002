import type { User } from '@tessera/prisma/users';
import type { Connection } from '@tessera/subgraph-kit';

/** A `User` as resolvers pass it around: the database row. */
export type UserModel = User;
export type UserConnectionModel = Connection<UserModel>;
