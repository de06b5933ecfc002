import { readTypeDefs, type SubgraphDefinition, type SubgraphResolvers } from '@tessera/subgraph-kit';
import { createContext, type Context } from './context.js';
import { createUsersDb, type UsersDb } from './db.js';
import { resolvers } from './resolvers/index.js';
import { seedUsers } from './seed.js';

export { loadConfig } from './config.js';
export type { UsersDb } from './db.js';

/** The users subgraph: owns `User`. */
export const usersSubgraph: SubgraphDefinition<UsersDb, Context> = {
  name: 'users',
  typeDefs: readTypeDefs(new URL('../schema.graphql', import.meta.url)),
  resolvers: resolvers as SubgraphResolvers<Context>,
  createClient: createUsersDb,
  createContext,
  isEmpty: async (db) => (await db.user.findFirst({ select: { id: true } })) === null,
  seed: seedUsers,
};
