import { loadByKey } from '@tessera/subgraph-kit';
import type { UserResolvers } from '../generated/resolvers-types.js';

export const User: UserResolvers = {
  __resolveReference: (reference, { loaders }) => loadByKey(loaders.userById, reference.id),
};
