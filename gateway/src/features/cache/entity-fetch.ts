/** A subgraph's answer to a fetch, as Apollo Gateway reads it. */
export interface FetchResult {
  data?: Record<string, unknown> | null;
  errors?: ReadonlyArray<{ message: string; path?: ReadonlyArray<string | number>; extensions?: Record<string, unknown> }>;
  extensions?: Record<string, unknown>;
}

/** An `_entities` fetch with some of its entities already known: the ones still to fetch, by position. */
export interface EntitySplit {
  /** Positions (in the original representations) of the entities to fetch. */
  missing: number[];
}

/** The positions of the entities a lookup did not find. */
export function splitEntities(found: ReadonlyArray<{ value?: unknown }>): EntitySplit {
  return { missing: found.flatMap((lookup, i) => (lookup.value === undefined ? [i] : [])) };
}

/**
 * The answer to the whole `_entities` fetch from the entities found and the answer for the
 * missing ones: each entity back in its position, and each error's path moved from the missing
 * list's position to the original one — so Apollo Gateway sees what the subgraph would have
 * answered for all of them. Also says which fetched entities may be kept: those answered
 * (an object), with no error under them. Pure.
 */
export function mergeEntities(
  found: ReadonlyArray<{ value?: unknown }>,
  split: EntitySplit,
  fetched: FetchResult,
): { result: FetchResult; keepable: number[] } {
  const answered = entitiesOf(fetched);
  const entities: unknown[] = found.map((lookup) => lookup.value ?? null);
  const failed = new Set<number>();
  const errors = (fetched.errors ?? []).map((error) => {
    const [head, position, ...rest] = error.path ?? [];
    if (head !== '_entities' || typeof position !== 'number' || split.missing[position] === undefined) {
      // An error for the fetch as a whole: nothing of it may be kept.
      split.missing.forEach((i) => failed.add(i));
      return error;
    }
    const original = split.missing[position];
    failed.add(original);
    return { ...error, path: ['_entities', original, ...rest] };
  });
  // Not an answer for these entities (the fetch failed as a whole): passed on as it is, as the
  // whole fetch would have failed.
  if (!answered || answered.length !== split.missing.length) return { result: fetched, keepable: [] };
  split.missing.forEach((original, j) => (entities[original] = answered[j]));
  const keepable = split.missing.filter(
    (original) => !failed.has(original) && entities[original] !== null && typeof entities[original] === 'object',
  );
  return { result: { ...fetched, data: { ...fetched.data, _entities: entities }, ...(errors.length && { errors }) }, keepable };
}

/** The `_entities` list of a fetch's answer, if it is one. */
export function entitiesOf(result: FetchResult): unknown[] | undefined {
  const entities = result.data?._entities;
  return Array.isArray(entities) ? entities : undefined;
}
