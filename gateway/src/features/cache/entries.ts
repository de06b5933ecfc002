import { callerPart, composeKey, visibilityPart, type CacheTag, type Identity } from '@tessera/service-kit';
import type { CachePolicy } from './policy.js';

/** Where an entry lives, and the tags whose generations it was read under. */
export interface EntryAddress {
  key: string;
  tags: readonly CacheTag[];
}

/** Bumped when the shape of entries changes: entries of an older shape are never read. */
const ENTRY_VERSION = 1;

/**
 * Who an entry is for: anyone who may see the data (`PUBLIC`), or one caller (`PRIVATE`: subject
 * and scopes). An anonymous caller has no private entries: undefined, not stored.
 */
function audience(policy: CachePolicy, identity: Identity): readonly unknown[] | undefined {
  if (policy.scope === 'PUBLIC') return ['public'];
  return identity.sub === undefined ? undefined : ['private', callerPart(identity)];
}

/** What an entity entry hangs on: the entity (when it has an id), an operator's flush of its type, and of everything. */
export function entityTags(typename: string, representation: Record<string, unknown>): CacheTag[] {
  const id = representation.id;
  return [
    ...(typeof id === 'string' ? [{ kind: 'entity', type: typename, id } as const] : [{ kind: 'type', type: typename } as const]),
    { kind: 'flush', type: typename },
    { kind: 'all' },
  ];
}

/** What a root-field or whole-response entry hangs on: every type it reads (a write to any changes its lists), flushes, everything. */
export function collectionTags(types: Iterable<string>): CacheTag[] {
  const tags: CacheTag[] = [];
  for (const type of types) tags.push({ kind: 'type', type }, { kind: 'flush', type });
  tags.push({ kind: 'all' });
  return tags;
}

/**
 * One entity of an `_entities` fetch: the subgraph, the entity's type and representation (its
 * key fields, and any `@requires`), the fetch document (what is selected), and who it is for.
 * It hangs on the entity's own tag and on the types of the objects nested beneath it.
 */
export function entityEntry(
  prefix: string,
  subgraph: string,
  documentHash: string,
  representation: Record<string, unknown>,
  policy: CachePolicy,
  identity: Identity,
): EntryAddress | undefined {
  const typename = representation.__typename;
  const who = audience(policy, identity);
  if (typeof typename !== 'string' || !who) return undefined;
  const key = keyOf([ENTRY_VERSION, subgraph, typename, representation, documentHash, who]);
  // The entity itself, and whatever the subgraph nested in it (another entity's list, say): writes to those types too.
  const nested = [...policy.nestedTypes].flatMap((type) => [{ kind: 'type', type } as const, { kind: 'flush', type } as const]);
  return key === undefined
    ? undefined
    : { key: `${prefix}cache:entity:${key}`, tags: [...entityTags(typename, representation), ...nested] };
}

/** A root-field fetch: the subgraph, the fetch document, its variables, who it is for. */
export function rootEntry(
  prefix: string,
  subgraph: string,
  documentHash: string,
  variables: Record<string, unknown> | undefined,
  policy: CachePolicy,
  identity: Identity,
): EntryAddress | undefined {
  const who = audience(policy, identity);
  if (!who) return undefined;
  const key = keyOf([ENTRY_VERSION, subgraph, documentHash, variables ?? {}, who]);
  return key === undefined ? undefined : { key: `${prefix}cache:root:${key}`, tags: collectionTags(policy.types) };
}

/**
 * A whole response: the document as it will run (after authorization took out what the caller
 * may not see: its hash), the operation, the variables, and what the caller may see — two callers
 * with the same rights get the same public answer.
 */
export function responseEntry(
  prefix: string,
  queryHash: string,
  operationName: string | null,
  variables: Record<string, unknown> | undefined,
  policy: CachePolicy,
  identity: Identity,
): EntryAddress | undefined {
  if (policy.scope !== 'PUBLIC') return undefined;
  const key = keyOf([ENTRY_VERSION, queryHash, operationName, variables ?? {}, visibilityPart(identity)]);
  return key === undefined ? undefined : { key: `${prefix}cache:response:${key}`, tags: collectionTags(policy.types) };
}

/** The key of these parts; undefined when a part is nested too deeply to write (variables a client sent unused): not cached. */
function keyOf(parts: readonly unknown[]): string | undefined {
  try {
    return composeKey(parts);
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}
