import { createTestDatabase, type TestDatabase } from './test-database.js';

/** The subgraphs that own a database. */
export const SUBGRAPH_NAMES = ['users', 'products', 'reviews'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

/** One fresh database per subgraph on the test server, ready to hand to `startPlatform`. */
export interface SubgraphDatabases {
  byName: Record<SubgraphName, TestDatabase>;
  /** `USERS_DATABASE_URL`, `PRODUCTS_DATABASE_URL`, `REVIEWS_DATABASE_URL`. */
  env: Record<string, string>;
  /** Drops all three. */
  drop(): Promise<void>;
}

/** Creates a database for each subgraph, named `<prefix>_<subgraph>_<random>`, on the test server (or the one of `adminUrl`). */
export async function createSubgraphDatabases(prefix: string, adminUrl?: string): Promise<SubgraphDatabases> {
  const byName = Object.fromEntries(
    await Promise.all(SUBGRAPH_NAMES.map(async (name) => [name, await createTestDatabase(`${prefix}_${name}`, adminUrl)])),
  ) as Record<SubgraphName, TestDatabase>;
  return {
    byName,
    env: Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_DATABASE_URL`, byName[name].url])),
    drop: async () => {
      await Promise.all(Object.values(byName).map((db) => db.drop()));
    },
  };
}
