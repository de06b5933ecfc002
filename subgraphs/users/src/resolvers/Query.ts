import { findPage } from '@tessera/subgraph-kit';
import type { QueryResolvers } from '../generated/resolvers-types.js';

export const Query: QueryResolvers = {
  user: (_parent, { id }, { loaders }) => loaders.userById.load(id),
  users: (_parent, args, { reader, loaders, maxPageSize }) =>
    findPage(args, { max: maxPageSize, findMany: (query) => reader.user.findMany(query), loader: loaders.userById }),
};
