import type { GraphQLFormattedError } from 'graphql';

/** A response's errors with repeats taken out and at most `max` kept, and how many more there were. */
export interface BoundedErrors {
  errors: GraphQLFormattedError[];
  /** Distinct errors beyond `max`, left out. */
  omitted: number;
}

/**
 * One error per distinct (message, path, code), the first `max` of them. A fragment spread a
 * thousand times over a removed field, or a subgraph failing every item of a list, would
 * otherwise answer a 683-byte request with a thousand copies of one error (237 KB). Pure.
 */
export function boundErrors(errors: readonly GraphQLFormattedError[], max: number): BoundedErrors {
  const seen = new Set<string>();
  const kept: GraphQLFormattedError[] = [];
  let omitted = 0;
  for (const error of errors) {
    const key = JSON.stringify([error.message, error.path ?? null, error.extensions?.code ?? null]);
    if (seen.has(key)) continue;
    seen.add(key);
    if (kept.length < max) kept.push(error);
    else omitted += 1;
  }
  return { errors: kept, omitted };
}
