import { badUserInput, canonicalId, forbidden, notFound, requireScope, unauthenticated, writeTags } from '@tessera/service-kit';
import { isRecordNotFound, isUuid, uniqueViolationFields, violates } from '@tessera/subgraph-kit';
import type { MutationResolvers } from '../generated/resolvers-types.js';
import { validateCreateUser, validateUpdateUser } from '../validation.js';

export const Mutation: MutationResolvers = {
  createUser: async (_parent, { input }, { writes, loaders, identity, invalidations }, info) => {
    requireScope(identity, 'users:write', 'Creating a user');
    const data = validateCreateUser(input);
    const user = await writes.once(String(info.path.key), async (tx) => {
      try {
        return await tx.user.create({ data });
      } catch (error) {
        throw takenField(error);
      }
    });
    await invalidations.changed(writeTags('User', user.id));
    loaders.userById.prime(user.id, user);
    return user;
  },
  updateUser: async (_parent, args, { writes, loaders, identity, invalidations }, info) => {
    if (!identity.sub) throw unauthenticated('Sign in to change your account.');
    const id = canonicalId(args.id);
    if (id !== canonicalId(identity.sub)) throw forbidden('Only the user themself may change their account.', { id });
    const data = validateUpdateUser(args.input);
    if (!isUuid(id)) throw notFound(`No user with id "${id}".`, { id });
    try {
      const user = await writes.once(String(info.path.key), async (tx) => {
        try {
          return await tx.user.update({ where: { id }, data });
        } catch (error) {
          throw takenField(error);
        }
      });
      await invalidations.changed(writeTags('User', id));
      loaders.userById.clear(id).prime(id, user);
      return user;
    } catch (error) {
      if (isRecordNotFound(error)) throw notFound(`No user with id "${id}".`, { id });
      throw error;
    }
  },
};

/**
 * A write refused by a unique index — the index, not a read-then-write, decides, so two concurrent
 * sign-ups with one username cannot both succeed — as BAD_USER_INPUT naming the field; any other
 * error as it is.
 */
function takenField(error: unknown): unknown {
  const taken = uniqueViolationFields(error);
  if (!taken) return error;
  const field = violates(taken, 'email') ? 'email' : 'username';
  return badUserInput(`That ${field} is already taken.`, `input.${field}`);
}
