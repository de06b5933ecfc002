import DataLoader from 'dataloader';

/** How every loader batches; set per process by `DATALOADER_*` variables. */
export interface BatchOptions {
  /** Largest batch, and so the longest `IN (...)` list, sent in one statement. @default 500 */
  maxBatchSize?: number;
  /** `false` sends one statement per key (for comparison in benchmarks). @default true */
  batch?: boolean;
}

/** Options of {@link createRowLoader}. */
export interface RowLoaderOptions extends BatchOptions {
  /** Keys that cannot exist (e.g. not a UUID) resolve to null without a query. @default () => true */
  isValidKey?: (key: string) => boolean;
}

/**
 * A per-request DataLoader that fetches rows by key in one statement per batch and
 * returns them in key order, `null` for a missing row (DataLoader's contract).
 */
export function createRowLoader<T>(
  fetchRows: (keys: string[]) => Promise<T[]>,
  keyOf: (row: T) => string,
  { maxBatchSize = 500, batch = true, isValidKey = () => true }: RowLoaderOptions = {},
): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(
    async (keys) => {
      const valid = keys.filter(isValidKey);
      const rows = valid.length ? await fetchRows([...valid]) : [];
      const byKey = new Map(rows.map((row) => [keyOf(row), row]));
      return keys.map((key) => byKey.get(key) ?? null);
    },
    { maxBatchSize, batch },
  );
}
