import { pageQuery, parsePageArgs, toConnection } from '@tessera/service-kit';
import type { QueryResolvers } from '../generated/resolvers-types.js';

export const Query: QueryResolvers = {
  user: (_parent, { id }, { loaders }) => loaders.userById.load(id),
  users: async (_parent, args, { db, loaders, maxPageSize }) => {
    const page = parsePageArgs(args, { max: maxPageSize });
    const rows = await db.user.findMany(pageQuery(page, 'asc'));
    for (const row of rows) loaders.userById.prime(row.id, row);
    return toConnection(rows, page);
  },
};
