/** How many rows `pnpm seed` writes of each kind, and the fixed random seed. */
export interface SeedSizes {
  users: number;
  products: number;
  reviews: number;
  /** Fixed seed: the same sizes and seed always produce the same rows. */
  seed: number;
}

/** Splits `0..count-1` into `[start, end)` ranges of at most `size`, for bulk inserts. */
export function* seedBatches(count: number, size = 5_000): Generator<[number, number]> {
  for (let start = 0; start < count; start += size) yield [start, Math.min(count, start + size)];
}
