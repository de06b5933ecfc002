import { operationOf } from './document-parts.js';
import { Kind, type DocumentNode, type SelectionSetNode } from 'graphql';

/** Shape figures of one operation, with fragments expanded. */
export interface OperationShape {
  /** Deepest field nesting (root fields are depth 1); introspection subtrees are left out. */
  depth: number;
  /** Aliased fields, counted as often as they are executed (a fragment spread twice counts twice). */
  aliases: number;
  /** `__schema` fields executed. */
  schemaFields: number;
  /** Longest chain of nested `ofType` fields. */
  ofTypeDepth: number;
  /**
   * Selections executed — fields, fragment spreads and inline fragments — fragments expanded as
   * often as they are spread. The cost estimator (graphql-query-complexity) walks and counts
   * exactly these, so an operation within this count is one it can estimate.
   */
  nodes: number;
}

/**
 * {@link measureOperation} remembered per parsed document and operation: Apollo Server hands
 * the same DocumentNode for a repeated query (and a new one after a schema update), so a
 * repeated request is not measured again.
 */
export function createShapeMemo(): (document: DocumentNode, operationName?: string | null) => OperationShape {
  const shapes = new WeakMap<DocumentNode, Map<string, OperationShape>>();
  return (document, operationName) => {
    let byName = shapes.get(document);
    if (!byName) shapes.set(document, (byName = new Map<string, OperationShape>()));
    let shape = byName.get(operationName ?? '');
    if (!shape) byName.set(operationName ?? '', (shape = measureOperation(document, operationName)));
    return shape;
  };
}

/**
 * Measures the operation named `operationName` (or the only one). Fragments are measured
 * once each and combined (dynamic programming), so a "fragment bomb" that would expand to
 * billions of fields costs no more to measure than its text. Assumes a validated document
 * (no fragment cycles).
 */
export function measureOperation(document: DocumentNode, operationName?: string | null): OperationShape {
  const { operation, fragments } = operationOf(document, operationName);
  if (!operation) return { depth: 0, aliases: 0, schemaFields: 0, ofTypeDepth: 0, nodes: 0 };

  const memo = new Map<string, OperationShape>();
  const fragmentShape = (name: string): OperationShape => {
    let shape = memo.get(name);
    if (!shape) {
      const fragment = fragments.get(name);
      shape = fragment ? measureSelections(fragment.selectionSet) : { depth: 0, aliases: 0, schemaFields: 0, ofTypeDepth: 0, nodes: 0 };
      memo.set(name, shape);
    }
    return shape;
  };

  function measureSelections(selectionSet: SelectionSetNode): OperationShape {
    const shape: OperationShape = { depth: 0, aliases: 0, schemaFields: 0, ofTypeDepth: 0, nodes: 0 };
    for (const selection of selectionSet.selections) {
      let inner: OperationShape;
      let own: { depth: number; ofType: number };
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        inner = selection.selectionSet
          ? measureSelections(selection.selectionSet)
          : { depth: 0, aliases: 0, schemaFields: 0, ofTypeDepth: 0, nodes: 0 };
        const introspection = name.startsWith('__');
        shape.aliases += selection.alias ? 1 : 0;
        shape.nodes += 1;
        shape.schemaFields += name === '__schema' ? 1 : 0;
        own = { depth: introspection ? 0 : 1 + inner.depth, ofType: name === 'ofType' ? 1 + inner.ofTypeDepth : 0 };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        inner = measureSelections(selection.selectionSet);
        shape.nodes += 1;
        own = { depth: inner.depth, ofType: 0 };
      } else {
        inner = fragmentShape(selection.name.value);
        shape.nodes += 1;
        own = { depth: inner.depth, ofType: 0 };
      }
      shape.aliases += inner.aliases;
      shape.schemaFields += inner.schemaFields;
      shape.nodes += inner.nodes;
      shape.depth = Math.max(shape.depth, own.depth);
      shape.ofTypeDepth = Math.max(shape.ofTypeDepth, own.ofType, inner.ofTypeDepth);
    }
    return shape;
  }

  return measureSelections(operation.selectionSet);
}

/**
 * Pairs of fields that answer to the same key in one selection set, which graphql-js's
 * OverlappingFieldsCanBeMerged compares one against the other — fields of the same key merged
 * with their sub-selections, as validation merges them, and each fragment counted once per
 * selection set, as validation spreads it. Quadratic in the repeats: 1,200 copies of
 * `topProducts { id }` (23 KB) are 719,400 pairs and 100+ ms of validation; an ordinary operation
 * has a few. Counting stops once past `limit` (the answer is then over it, and deeper levels are
 * not walked); otherwise it
 * walks the operation with fragments expanded, so count only an operation whose `nodes`
 * ({@link measureOperation}) are within their limit. No fragment cycles assumed: a spread of a
 * fragment inside itself is not followed.
 */
export function countOverlappingFieldPairs(document: DocumentNode, operationName: string | null | undefined, limit: number): number {
  const { operation, fragments } = operationOf(document, operationName);
  if (!operation) return 0;
  let pairs = 0;
  const pending: SelectionSetNode[][] = [[operation.selectionSet]];
  while (pending.length && pairs <= limit) {
    // The fields of one merged selection set, by response key, with their own sub-selections.
    const byKey = new Map<string, { count: number; children: SelectionSetNode[] }>();
    const spread = new Set<string>();
    const collect = (selectionSet: SelectionSetNode) => {
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          let entry = byKey.get(key);
          if (!entry) byKey.set(key, (entry = { count: 0, children: [] }));
          entry.count += 1;
          if (selection.selectionSet) entry.children.push(selection.selectionSet);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) collect(selection.selectionSet);
        else if (!spread.has(selection.name.value)) {
          spread.add(selection.name.value);
          const fragment = fragments.get(selection.name.value);
          if (fragment) collect(fragment.selectionSet);
        }
      }
    };
    for (const selectionSet of pending.pop()!) collect(selectionSet);
    for (const { count, children } of byKey.values()) {
      pairs += (count * (count - 1)) / 2;
      if (children.length) pending.push(children);
    }
  }
  return pairs;
}
