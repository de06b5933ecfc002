import {
  getNamedType,
  isCompositeType,
  isObjectType,
  isInterfaceType,
  Kind,
  OperationTypeNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { operationOf } from '@tessera/service-kit';
import type { CacheHints } from './hints.js';

/** How long an answer may be kept, and for whom. */
export interface CachePolicy {
  /** Seconds; 0: not cached. */
  maxAge: number;
  /** `PRIVATE` when any field is: kept only for the caller it was answered for. */
  scope: 'PUBLIC' | 'PRIVATE';
  /** The object types whose data the answer holds: a write to any of them changes lists of them. */
  types: ReadonlySet<string>;
  /**
   * The object types read beneath the entities of an `_entities` fetch (of any other operation:
   * all of `types`). A subgraph that resolves nested objects itself (a product's reviews, their
   * authors' reviews) puts their data in the entity's entry, so the entry depends on them too.
   */
  nestedTypes: ReadonlySet<string>;
}

/** The policy of one field: its own hint, else its type's, else (for a leaf or `inheritMaxAge`) its parent's. */
interface FieldPolicy {
  maxAge: number;
  scope: 'PUBLIC' | 'PRIVATE';
}

/** Options of {@link operationPolicy}. */
export interface PolicyOptions {
  /** Caps per type (`CACHE_TTL_OVERRIDES`): a field of the type, or returning it, is kept at most this long (0: never). */
  ttlOverrides?: ReadonlyMap<string, number>;
}

/** A field's policy: its own hint, else its type's, else (a leaf, or `inheritMaxAge`) its parent's; capped per type. Undefined: none decided. */
function policyOfField(
  hints: CacheHints,
  cap: (type: string, maxAge: number) => number,
  parent: string,
  parentPolicy: FieldPolicy | undefined,
  name: string,
  returned: GraphQLNamedType,
): FieldPolicy | undefined {
  const own = hints.fields.get(`${parent}.${name}`);
  const typeHint = isCompositeType(returned) ? hints.types.get(returned.name) : undefined;
  const inherits = own?.inheritMaxAge || typeHint?.inheritMaxAge || !isCompositeType(returned);
  const maxAge = own?.maxAge ?? typeHint?.maxAge ?? (inherits ? parentPolicy?.maxAge : undefined);
  if (maxAge === undefined) return undefined;
  const scope =
    own?.scope === 'PRIVATE' || typeHint?.scope === 'PRIVATE' || (inherits && parentPolicy?.scope === 'PRIVATE') ? 'PRIVATE' : 'PUBLIC';
  return { maxAge: cap(returned.name, cap(parent, maxAge)), scope };
}

/**
 * The policy of an operation — a client's, or a fetch the query planner sends a subgraph — from
 * the supergraph's hints: the smallest `maxAge` of every field it selects, `PRIVATE` if any field
 * is, and the object types it reads. A field's policy is its own hint, else its type's, else —
 * for a leaf, or a type marked `inheritMaxAge` — the field's above it; a field with none (which
 * the hints test forbids) makes the whole answer uncacheable. An `_entities` fetch reads each
 * entity type's fields under that type's own hint. Pure; callers memoize per document.
 */
export function operationPolicy(
  schema: GraphQLSchema,
  hints: CacheHints,
  document: DocumentNode,
  operationName?: string | null,
  { ttlOverrides }: PolicyOptions = {},
): CachePolicy {
  const { operation, fragments } = operationOf(document, operationName);
  const result: PolicySoFar = {
    maxAge: Number.POSITIVE_INFINITY,
    scope: 'PUBLIC',
    types: new Set<string>(),
    nestedTypes: new Set<string>(),
  };
  if (!operation || operation.operation !== OperationTypeNode.QUERY) return { ...result, maxAge: 0 };
  const cap = (type: string, maxAge: number) => Math.min(maxAge, ttlOverrides?.get(type) ?? maxAge);
  walkSelections({ schema, hints, fragments, cap, result }, operation.selectionSet, schema.getQueryType()!, undefined, new Set());
  // Nothing but `__typename` read: the answer never changes (callers cap it: a day at most).
  return { ...result, maxAge: Math.max(0, result.maxAge) };
}

/** An operation's policy as its walk has found it so far. */
interface PolicySoFar {
  maxAge: number;
  scope: 'PUBLIC' | 'PRIVATE';
  types: Set<string>;
  nestedTypes: Set<string>;
}

/** One walk of an operation: what it reads (schema, hints, the document's fragments, the caps per type) and the policy it builds. */
interface PolicyWalk {
  schema: GraphQLSchema;
  hints: CacheHints;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  cap: (type: string, maxAge: number) => number;
  result: PolicySoFar;
}

/** The answer holds data of `type`, read where its parent's data is. */
function readType({ types, nestedTypes }: PolicySoFar, type: string): void {
  types.add(type);
  nestedTypes.add(type);
}

/** The selections under `parent` (a field's policy is `parentPolicy`), each fragment spread once along a path (`spread`). */
function walkSelections(
  walk: PolicyWalk,
  selectionSet: SelectionSetNode,
  parent: GraphQLNamedType,
  parentPolicy: FieldPolicy | undefined,
  spread: ReadonlySet<string>,
): void {
  const { schema, fragments, result } = walk;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      walkField(walk, selection, parent, parentPolicy, spread);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
      if (type && type !== parent && isObjectType(type)) readType(result, type.name);
      walkSelections(walk, selection.selectionSet, type ?? parent, parentPolicy, spread);
    } else if (!spread.has(selection.name.value)) {
      const fragment = fragments.get(selection.name.value);
      const type = fragment && schema.getType(fragment.typeCondition.name.value);
      if (fragment && type) walkSelections(walk, fragment.selectionSet, type, parentPolicy, new Set([...spread, selection.name.value]));
    }
  }
}

/** One field: its policy folded into the result, then what it selects. A field the schema does not know makes the answer uncacheable. */
function walkField(
  walk: PolicyWalk,
  selection: FieldNode,
  parent: GraphQLNamedType,
  parentPolicy: FieldPolicy | undefined,
  spread: ReadonlySet<string>,
): void {
  const { schema, result } = walk;
  const name = selection.name.value;
  if (name === '__typename') return;
  if (name === '_entities' && parent === schema.getQueryType()) {
    walkEntities(walk, selection.selectionSet!, spread);
    return;
  }
  const definition = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
  if (!definition) {
    result.maxAge = 0;
    return;
  }
  const returned = getNamedType(definition.type);
  const policy = policyOfField(walk.hints, walk.cap, parent.name, parentPolicy, name, returned);
  result.maxAge = Math.min(result.maxAge, policy?.maxAge ?? 0);
  if (policy?.scope === 'PRIVATE') result.scope = 'PRIVATE';
  if (isCompositeType(returned)) {
    if (isObjectType(returned)) readType(result, returned.name);
    if (selection.selectionSet) walkSelections(walk, selection.selectionSet, returned, policy, spread);
  }
}

/** `_entities { ... on Product { … } }`: each entity type's fields under that type's own hint. */
function walkEntities(walk: PolicyWalk, selectionSet: SelectionSetNode, spread: ReadonlySet<string>): void {
  const { schema, hints, cap, result } = walk;
  for (const selection of selectionSet.selections) {
    const typeName = selection.kind === Kind.INLINE_FRAGMENT ? selection.typeCondition?.name.value : undefined;
    const type = typeName ? schema.getType(typeName) : undefined;
    if (!type || selection.kind !== Kind.INLINE_FRAGMENT) continue;
    const hint = hints.types.get(type.name);
    result.types.add(type.name);
    walkSelections(
      walk,
      selection.selectionSet,
      type,
      hint?.maxAge === undefined ? undefined : { maxAge: cap(type.name, hint.maxAge), scope: hint.scope ?? 'PUBLIC' },
      spread,
    );
  }
}

/**
 * The fields of `schema`'s object types with no decided policy — no hint of their own or their
 * type's, and nothing to inherit from — as `Type.field`. Mutations are never cached and are left
 * out, as are introspection and federation's own types. Every subgraph field must be decided:
 * a test holds the supergraph to an empty list.
 */
export function undecidedFields(schema: GraphQLSchema, hints: CacheHints): string[] {
  const mutation = schema.getMutationType();
  const types = Object.values(schema.getTypeMap()).filter(
    (type): type is GraphQLObjectType => isObjectType(type) && type !== mutation && !type.name.startsWith('_'),
  );
  // Fields returning each type: an `inheritMaxAge` type is decided where every field returning it is.
  const returning = new Map<string, Array<[GraphQLObjectType, string]>>();
  for (const type of types) {
    for (const field of Object.values(type.getFields())) {
      const returned = getNamedType(field.type).name;
      returning.set(returned, [...(returning.get(returned) ?? []), [type, field.name]]);
    }
  }
  // What a type's leaves inherit: its own hint, else the policy of every field that returns it
  // (none, for a root type: its leaves need hints of their own).
  const decidedAsParent = new Map<string, boolean>();
  const parentDecided = (type: string): boolean => {
    const known = decidedAsParent.get(type);
    if (known !== undefined) return known;
    decidedAsParent.set(type, false); // a cycle of types returning each other decides nothing
    const fields = returning.get(type) ?? [];
    const decided =
      hints.types.get(type)?.maxAge !== undefined || (fields.length > 0 && fields.every(([parent, field]) => fieldDecided(parent, field)));
    decidedAsParent.set(type, decided);
    return decided;
  };
  const fieldDecided = (parent: GraphQLObjectType, name: string): boolean => {
    if (parent === mutation) return true;
    const returned = getNamedType(parent.getFields()[name]!.type);
    const own = hints.fields.get(`${parent.name}.${name}`);
    const typeHint = isCompositeType(returned) ? hints.types.get(returned.name) : undefined;
    if (own?.maxAge !== undefined || typeHint?.maxAge !== undefined) return true;
    const inherits = own?.inheritMaxAge || typeHint?.inheritMaxAge || !isCompositeType(returned);
    return inherits === true && parentDecided(parent.name);
  };
  return types.flatMap((type) =>
    Object.keys(type.getFields())
      .filter((field) => !fieldDecided(type, field))
      .map((field) => `${type.name}.${field}`),
  );
}
