import { badUserInput, requireScope } from '@tessera/service-kit';
import { uniqueViolationFields, violates } from '@tessera/subgraph-kit';
import type { MutationResolvers } from '../generated/resolvers-types.js';
import { validateCreateUser } from '../validation.js';

export const Mutation: MutationResolvers = {
  createUser: async (_parent, { input }, { db, loaders, identity }) => {
    requireScope(identity, 'users:write', 'Creating a user');
    const data = validateCreateUser(input);
    try {
      const user = await db.user.create({ data });
      loaders.userById.prime(user.id, user);
      return user;
    } catch (error) {
      // The unique index, not a read-then-write, decides: two concurrent sign-ups
      // with one username cannot both succeed.
      const taken = uniqueViolationFields(error);
      if (taken) {
        const field = violates(taken, 'email') ? 'email' : 'username';
        throw badUserInput(`That ${field} is already taken.`, `input.${field}`);
      }
      throw error;
    }
  },
};
