import { canonicalId, forbidden } from '@tessera/service-kit';
import { loadReference } from '@tessera/subgraph-kit';
import type { UserResolvers } from '../generated/resolvers-types.js';

export const User: UserResolvers = {
  __resolveReference: (reference, { loaders }) => loadReference(loaders.userById, 'User', 'id', reference.id),
  // The schema's @authenticated keeps anonymous callers away (at the gateway); which user's
  // address a signed-in caller may read is the owner's rule, decided here.
  email: (user, _args, { identity }) => {
    if ((identity.sub !== undefined && canonicalId(identity.sub) === user.id) || identity.scopes.has('users:read-email')) return user.email;
    throw forbidden("Only its owner, or the scope users:read-email, may read a user's email.", { scope: 'users:read-email' });
  },
};
