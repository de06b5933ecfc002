import { notFound } from '@tessera/service-kit';
import DataLoader from 'dataloader';

/** A per-request batch loader (DataLoader), named here so that the subgraphs' loader types can be written without importing dataloader themselves. */
export type BatchLoader<K, V, C = K> = DataLoader<K, V, C>;

/** Largest batch by default, and so the longest `IN (...)` list one statement carries. */
export const DEFAULT_MAX_BATCH_SIZE = 500;

/** How every loader batches; set per process by the `DATALOADER_*` variables, observed per request. */
export interface BatchOptions {
  /** Largest batch, and so the longest `IN (...)` list, sent in one statement. @default DEFAULT_MAX_BATCH_SIZE */
  maxBatchSize?: number;
  /** `false` sends one statement per key (for comparison in benchmarks). @default true */
  batch?: boolean;
  /** Runs each batch: the request's deadline, metrics and traces (see `createRequestScope`). */
  observer?: BatchObserver;
}

/** What sees every batch of a request's loaders: may refuse it (the deadline passed), measures and traces it. */
export interface BatchObserver {
  run<T>(loader: string, size: number, batch: () => Promise<T>): Promise<T>;
}

/** Options of {@link createBatchLoader}. */
export interface BatchLoaderOptions<K, V, C> extends BatchOptions {
  /** Names the loader in metrics and traces (`userById`). */
  name: string;
  /** What a key without a value resolves to: `null` for a missing row, an empty page, a zero count. Never mutated. */
  missing: V;
  /** Keys that cannot have a value (an id that is not a UUID) resolve to `missing` without a query. @default () => true */
  isValidKey?: (key: K) => boolean;
  /** The form a key is looked up in (ids in lower case): keys equal in that form share one lookup. @default the key itself */
  canonicalKey?: (key: K) => K;
  /** The cache key of a (canonical) key that is an object, such as a page request. @default the key itself */
  cacheKeyFn?: (key: K) => C;
}

/**
 * A per-request DataLoader around one batch function. Keys are brought to their canonical
 * form; invalid ones are answered with `missing` and never reach the database; the valid
 * ones — distinct, since DataLoader de-duplicates them — go to `fetch` together, which answers
 * one value per key in key order (`undefined` for none). Results come back in key order, as
 * DataLoader's contract requires.
 */
export function createBatchLoader<K, V, C = K>(
  fetch: (keys: K[]) => Promise<ReadonlyArray<V | undefined>>,
  {
    name,
    missing,
    isValidKey = () => true,
    canonicalKey = (key) => key,
    cacheKeyFn,
    maxBatchSize = DEFAULT_MAX_BATCH_SIZE,
    batch = true,
    observer,
  }: BatchLoaderOptions<K, V, C>,
): BatchLoader<K, V, C> {
  const cacheKey = (key: K) => (cacheKeyFn ? cacheKeyFn(canonicalKey(key)) : (canonicalKey(key) as unknown as C));
  return new DataLoader<K, V, C>(
    async (requested) => {
      const keys = requested.map(canonicalKey);
      const valid = keys.map(isValidKey);
      const values = await fetchValid(keys.filter((_, i) => valid[i]));
      let next = 0;
      return keys.map((_, i) => (valid[i] ? (values[next++] ?? missing) : missing));
    },
    { maxBatchSize, batch, cacheKeyFn: cacheKey },
  );

  async function fetchValid(keys: K[]): Promise<ReadonlyArray<V | undefined>> {
    if (!keys.length) return [];
    return observer ? observer.run(name, keys.length, () => fetch(keys)) : fetch(keys);
  }
}

/** Options of {@link createRowLoader}. */
export type RowLoaderOptions = BatchOptions & Pick<BatchLoaderOptions<string, unknown, string>, 'name' | 'isValidKey' | 'canonicalKey'>;

/**
 * A per-request loader of rows by a unique column: one `WHERE column IN (...)` per batch
 * (`fetchRows`), rows matched back to their keys with `keyOf`, `null` for a missing row.
 * Keys that are not strings (an `_entities` representation can hold anything) are invalid.
 */
export function createRowLoader<T>(
  fetchRows: (keys: string[]) => Promise<T[]>,
  keyOf: (row: T) => string,
  options: RowLoaderOptions,
): BatchLoader<string, T | null> {
  return createBatchLoader<string, T | null>(
    async (keys) => {
      const byKey = new Map((await fetchRows(keys)).map((row) => [keyOf(row), row]));
      return keys.map((key) => byKey.get(key));
    },
    { missing: null, ...options, isValidKey: (key) => typeof key === 'string' && (options.isValidKey?.(key) ?? true) },
  );
}

/**
 * The entity an `_entities` representation names, loaded through `loader`. A representation
 * may hold anything, and a reference may outlive what it names (another database's row was
 * deleted): either way the answer is a NOT_FOUND error, which the gateway puts on the path of
 * the one field that referenced it — never a silent null, never a failed page.
 */
export async function loadReference<T>(loader: BatchLoader<string, T | null>, typename: string, field: string, key: unknown): Promise<T> {
  const entity = typeof key === 'string' ? await loader.load(key) : null;
  if (entity === null) throw notFound(`No ${typename} has ${field} ${JSON.stringify(key)?.slice(0, 80)}.`, { typename });
  return entity;
}
