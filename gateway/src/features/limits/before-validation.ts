import { countOverlappingFieldPairs, measureOperation } from '@tessera/service-kit';
import { Kind, type DocumentNode, type GraphQLError, type SelectionSetNode } from 'graphql';
import { GatewayErrorCode, operationRejected } from '../../errors.js';
import { checkShape, SHAPE_LIMITS_DEFAULTS, type OperationLimits } from './shape-limits.js';

/** The limits checked on a parsed document before it is validated. */
export interface DocumentLimits extends OperationLimits {
  /** Pairs of same-key fields validation would compare (`countOverlappingFieldPairs`). @default 10_000 */
  maxOverlappingFieldPairs: number;
}

/** The document limits' defaults (the shape limits', and `MAX_OVERLAPPING_FIELD_PAIRS`). */
export const DOCUMENT_LIMITS_DEFAULTS: DocumentLimits = { ...SHAPE_LIMITS_DEFAULTS, maxOverlappingFieldPairs: 10_000 };

/**
 * What a parsed document breaks before validation looks at it, so an abusive one is refused for
 * the price of a walk over its text rather than for what validation costs: the shape limits
 * (depth, aliases, introspection, selections with fragments expanded), then the pairs of
 * same-key fields validation would compare, quadratic in their repeats (a 23 KB document of one
 * field repeated cost 100+ ms to validate). A document with a fragment cycle, which validation
 * refuses at once, is left to it; so is one naming an operation it does not have. Pure.
 */
export function checkBeforeValidation(
  document: DocumentNode,
  operationName: string | null | undefined,
  limits: DocumentLimits,
): GraphQLError | null {
  if (hasFragmentCycle(document)) return null;
  const shapeError = checkShape(measureOperation(document, operationName), limits);
  if (shapeError) return shapeError;
  const pairs = countOverlappingFieldPairs(document, operationName, limits.maxOverlappingFieldPairs);
  if (pairs <= limits.maxOverlappingFieldPairs) return null;
  return operationRejected(
    GatewayErrorCode.MaxOverlappingFields,
    `Operation repeats fields under one response key in more than ${limits.maxOverlappingFieldPairs} pairs.`,
    {
      // Counting stopped once past the limit: `measured` is at least that many.
      overlappingFieldPairs: { measured: pairs, max: limits.maxOverlappingFieldPairs },
    },
  );
}

/** Whether some fragment spreads itself, directly or through others. */
function hasFragmentCycle(document: DocumentNode): boolean {
  const spreads = new Map<string, string[]>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) spreads.set(definition.name.value, spreadNames(definition.selectionSet));
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const cyclic = (name: string): boolean => {
    if (state.get(name) === 'done') return false;
    if (state.get(name) === 'visiting') return true;
    state.set(name, 'visiting');
    for (const next of spreads.get(name) ?? []) if (cyclic(next)) return true;
    state.set(name, 'done');
    return false;
  };
  return [...spreads.keys()].some(cyclic);
}

function spreadNames(selectionSet: SelectionSetNode): string[] {
  const names: string[] = [];
  const pending = [selectionSet];
  while (pending.length) {
    for (const selection of pending.pop()!.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) names.push(selection.name.value);
      else if (selection.selectionSet) pending.push(selection.selectionSet);
    }
  }
  return names;
}
