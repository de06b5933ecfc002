import { badUserInput, requireScope } from '@tessera/service-kit';
import { uniqueViolationFields, violates } from '@tessera/subgraph-kit';
import type { MutationResolvers } from '../generated/resolvers-types.js';
import { validateCreateUser } from '../validation.js';

export const Mutation: MutationResolvers = {
  createUser: async (_parent, { input }, { writes, loaders, identity }, info) => {
    requireScope(identity, 'users:write', 'Creating a user');
    const data = validateCreateUser(input);
    const user = await writes.once(String(info.path.key), async (tx) => {
      try {
        return await tx.user.create({ data });
      } catch (error) {
        // The unique index, not a read-then-write, decides: two concurrent sign-ups
        // with one username cannot both succeed.
        const taken = uniqueViolationFields(error);
        if (!taken) throw error;
        const field = violates(taken, 'email') ? 'email' : 'username';
        throw badUserInput(`That ${field} is already taken.`, `input.${field}`);
      }
    });
    loaders.userById.prime(user.id, user);
    return user;
  },
};
