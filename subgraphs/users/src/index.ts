import { readFileSync } from 'node:fs';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import type { SubgraphDefinition } from '@tessera/service-kit';
import { parse } from 'graphql';
import { createContext, type Context } from './context.js';
import { createUsersDb, type UsersDb } from './db.js';
import { resolvers } from './resolvers/index.js';
import { seedUsers } from './seed.js';

export { loadConfig } from './config.js';
export { createContext, type Context } from './context.js';
export { createUsersDb, type UsersDb } from './db.js';
export { seededUser } from './seed.js';

/** The users subgraph: owns `User`. */
export const usersSubgraph: SubgraphDefinition<UsersDb, Context> = {
  name: 'users',
  defaultPort: 4001,
  typeDefs: parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8')),
  resolvers: resolvers as GraphQLResolverMap<Context>,
  createClient: createUsersDb,
  createContext,
  isEmpty: async (db) => (await db.user.findFirst({ select: { id: true } })) === null,
  seed: seedUsers,
};
