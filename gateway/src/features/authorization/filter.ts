import { fragmentsOf } from '@tessera/service-kit';
import {
  getNamedType,
  isAbstractType,
  isListType,
  isNonNullType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type InlineFragmentNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { combine, satisfies, type AuthorizationRequirements, type Requirement } from './requirements.js';

/** Who asks, as far as authorization is concerned. */
export interface Caller {
  authenticated: boolean;
  scopes: ReadonlySet<string>;
}

/** A response path: response keys, with `@` standing for every item of a list (as Apollo Router writes it). */
export type ResponsePath = string[];

/** An operation with what the caller may not see taken out. */
export interface FilteredOperation {
  /** The operation to run; the original when nothing was removed, undefined when nothing is left. */
  document: DocumentNode | undefined;
  /** Where an unauthorized field or type was asked for: one error each. */
  unauthorized: ResponsePath[];
  /** Where the response gets a null instead: a removed nullable field, or the nearest nullable place above a removed non-null one. */
  nulls: ResponsePath[];
  /** A removed non-null field left no nullable place above it: `data` itself is null. */
  dataIsNull: boolean;
  /**
   * Objects every field of which was taken out, fetched by `__typename` alone so that their nulls
   * have a place: the client did not ask for that `__typename`, and the response loses it.
   */
  placeholders: ResponsePath[];
}

interface Walk {
  schema: GraphQLSchema;
  requirements: AuthorizationRequirements;
  caller: Caller;
  fragments: Map<string, FragmentDefinitionNode>;
  unauthorized: ResponsePath[];
  nulls: ResponsePath[];
  placeholders: ResponsePath[];
}

/** What filtering a selection set gave: its selections, and whether its owner must become null. */
interface Filtered {
  selections: SelectionNode[];
  ownerIsNull: boolean;
}

/**
 * Removes from `operation` every field and fragment the caller may not see, with Apollo
 * Router's semantics: the rest runs; each removed place is reported; a removed non-null field
 * makes the nearest nullable field above it null (or all of `data`). Fragments are inlined in
 * the result (a spread's content can differ by where it is used). Pure: no server, no I/O.
 */
export function filterOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  requirements: AuthorizationRequirements,
  caller: Caller,
): FilteredOperation {
  const fragments = fragmentsOf(document);
  const walk: Walk = { schema, requirements, caller, fragments, unauthorized: [], nulls: [], placeholders: [] };
  const root = schema.getRootType(operation.operation)!;
  const { selections, ownerIsNull } = filterSelectionSet(walk, root, operation.selectionSet, []);
  if (walk.unauthorized.length === 0) return { document, unauthorized: [], nulls: [], dataIsNull: false, placeholders: [] };
  const remaining =
    ownerIsNull || selections.length === 0 ? undefined : { ...operation, selectionSet: { kind: Kind.SELECTION_SET, selections } };
  return {
    document: remaining && { kind: Kind.DOCUMENT, definitions: [remaining as OperationDefinitionNode] },
    // A fragment spread a thousand times reaches one removed place a thousand times: once each.
    unauthorized: distinct(walk.unauthorized),
    nulls: ownerIsNull ? [] : distinct(walk.nulls),
    dataIsNull: ownerIsNull,
    placeholders: ownerIsNull ? [] : distinct(walk.placeholders),
  };
}

function distinct(paths: ResponsePath[]): ResponsePath[] {
  const seen = new Set<string>();
  return paths.filter((path) => {
    const key = JSON.stringify(path);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function filterSelectionSet(walk: Walk, parent: GraphQLCompositeType, selectionSet: SelectionSetNode, path: ResponsePath): Filtered {
  const kept: SelectionNode[] = [];
  let ownerIsNull = false;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const field = filterField(walk, parent, selection, path);
      if (field.node) kept.push(field.node);
      ownerIsNull ||= field.ownerIsNull;
      continue;
    }
    const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : walk.fragments.get(selection.name.value);
    if (!fragment) continue;
    const type = fragment.typeCondition ? (walk.schema.getType(fragment.typeCondition.name.value) as GraphQLCompositeType) : parent;
    if (!satisfies(walk.requirements.types.get(type.name), walk.caller)) {
      walk.unauthorized.push(path);
      continue;
    }
    const inner = filterSelectionSet(walk, type, fragment.selectionSet, path);
    ownerIsNull ||= inner.ownerIsNull;
    if (inner.selections.length) kept.push(inlineFragment(fragment, inner.selections));
  }
  return { selections: kept, ownerIsNull };
}

/** One field: kept (its selection filtered), dropped and nulled, or dropped with its owner nulled. */
function filterField(
  walk: Walk,
  parent: GraphQLCompositeType,
  node: FieldNode,
  path: ResponsePath,
): { node?: FieldNode; ownerIsNull: boolean } {
  const name = node.name.value;
  if (name.startsWith('__') || !('getFields' in parent)) return { node, ownerIsNull: false };
  const definition = (parent as { getFields(): Record<string, { type: GraphQLOutputType }> }).getFields()[name];
  if (!definition) return { node, ownerIsNull: false };
  const key = [...path, node.alias?.value ?? name];
  const requirement = combine(fieldRequirement(walk, parent, name), walk.requirements.types.get(getNamedType(definition.type).name));
  if (!satisfies(requirement, walk.caller)) {
    walk.unauthorized.push(key);
    return nullHere(walk, definition.type, key);
  }
  if (!node.selectionSet) return { node, ownerIsNull: false };
  const items = [...key, ...listMarkers(definition.type)];
  const inner = filterSelectionSet(walk, getNamedType(definition.type) as GraphQLCompositeType, node.selectionSet, items);
  if (inner.ownerIsNull) return nullAt(walk, node, definition.type, key);
  // Everything under it was taken out and nulled: keep the object, so its nulls have a place.
  if (inner.selections.length === 0) walk.placeholders.push(items);
  const selections = inner.selections.length ? inner.selections : [typenameField()];
  return { node: { ...node, selectionSet: { kind: Kind.SELECTION_SET, selections } }, ownerIsNull: false };
}

/**
 * A field's own requirement. On an interface, the strictest of the interface's and its
 * implementations' (any implementation may be the one returned).
 */
function fieldRequirement(walk: Walk, parent: GraphQLCompositeType, name: string): Requirement | undefined {
  let requirement = walk.requirements.fields.get(`${parent.name}.${name}`);
  if (isAbstractType(parent)) {
    for (const type of walk.schema.getPossibleTypes(parent))
      requirement = combine(requirement, walk.requirements.fields.get(`${type.name}.${name}`));
  }
  return requirement;
}

/** A removed field: null where it was, or — for a non-null field — its owner becomes null. */
function nullHere(walk: Walk, type: GraphQLOutputType, key: ResponsePath): { ownerIsNull: boolean } {
  if (isNonNullType(type)) return { ownerIsNull: true };
  walk.nulls.push(key);
  return { ownerIsNull: false };
}

/**
 * A field whose object had to become null: the innermost nullable place of its type takes the
 * null — a list's items (the list is kept, its objects reduced to `__typename`, so each item has
 * a place), else the field — or its owner, when every place is non-null.
 */
function nullAt(walk: Walk, node: FieldNode, type: GraphQLOutputType, key: ResponsePath): { node?: FieldNode; ownerIsNull: boolean } {
  for (let depth = listMarkers(type).length; depth >= 0; depth--) {
    if (!positionNullable(type, depth)) continue;
    walk.nulls.push([...key, ...Array<string>(depth).fill('@')]);
    if (depth === 0) return { ownerIsNull: false };
    return { node: { ...node, selectionSet: { kind: Kind.SELECTION_SET, selections: [typenameField()] } }, ownerIsNull: false };
  }
  return { ownerIsNull: true };
}

/** Whether the value `depth` lists deep in `type` may be null (depth 0: the field itself). */
function positionNullable(type: GraphQLOutputType, depth: number): boolean {
  let current = type;
  for (let i = 0; i < depth; i++) current = ((isNonNullType(current) ? current.ofType : current) as { ofType: GraphQLOutputType }).ofType;
  return !isNonNullType(current);
}

/** One `@` per list the field's type wraps its objects in. */
function listMarkers(type: GraphQLOutputType): string[] {
  const markers: string[] = [];
  let current: GraphQLOutputType = type;
  while (isNonNullType(current) || isListType(current)) {
    if (isListType(current)) markers.push('@');
    current = (current as { ofType: GraphQLOutputType }).ofType;
  }
  return markers;
}

function inlineFragment(fragment: InlineFragmentNode | FragmentDefinitionNode, selections: SelectionNode[]): InlineFragmentNode {
  return {
    kind: Kind.INLINE_FRAGMENT,
    typeCondition: fragment.typeCondition,
    directives: fragment.directives,
    selectionSet: { kind: Kind.SELECTION_SET, selections },
  };
}

function typenameField(): FieldNode {
  return { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } };
}
