/** How many rows `pnpm seed` writes of each kind, and the fixed random seed. */
export interface SeedSizes {
  users: number;
  products: number;
  reviews: number;
  /** Fixed seed: the same sizes and seed always produce the same rows. */
  seed: number;
}

/** Rows per bulk insert: large enough to be fast, small enough for one statement's parameters. */
const ROWS_PER_INSERT = 5_000;

/**
 * Writes rows `0..count-1`, made by `makeRow(index)`, through `insert` in bulk statements of
 * at most 5,000 rows. `insert` skips rows already there (`createMany({ skipDuplicates })`),
 * which makes seeding idempotent. Returns how many rows were new.
 */
export async function insertSeedRows<T>(
  count: number,
  makeRow: (index: number) => T,
  insert: (rows: T[]) => Promise<{ count: number }>,
): Promise<number> {
  let inserted = 0;
  for (let start = 0; start < count; start += ROWS_PER_INSERT) {
    const rows = Array.from({ length: Math.min(ROWS_PER_INSERT, count - start) }, (_, i) => makeRow(start + i));
    inserted += (await insert(rows)).count;
  }
  return inserted;
}
