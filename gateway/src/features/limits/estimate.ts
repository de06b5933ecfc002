import { fragmentsOf } from '@tessera/service-kit';
import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { getArgumentValues } from 'graphql/execution/values.js';
import { GatewayErrorCode, operationRejected } from '../../errors.js';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import type { CostDirectives, ListSize } from './directives.js';
import { SHAPE_LIMITS_DEFAULTS } from './shape-limits.js';

/** The cost model's defaults (`COST_DEFAULT_LIST_SIZE`, `COST_MUTATION_WEIGHT`). */
export const COST_MODEL_DEFAULTS: Required<Pick<CostModelOptions, 'defaultListSize' | 'mutationWeight'>> = {
  defaultListSize: 10,
  mutationWeight: 10,
};

/** The knobs of the cost model. */
export interface CostModelOptions {
  /** Size assumed for a list whose size no argument or `@listSize` gives. @default 10 */
  defaultListSize?: number;
  /** Base cost of a mutation root field. @default 10 */
  mutationWeight?: number;
  /** Selections walked at most, plus one (expanded fragments count each time); more throws `MAX_NODES_LIMIT`. @default 10_000 */
  maxNodes?: number;
}

/** Arguments that size a list when the field has no `@listSize`. */
const DEFAULT_SLICING_ARGUMENTS = ['first', 'last', 'limit'];

/**
 * Estimates an operation's cost with graphql-query-complexity, in the spirit of the
 * demand-control spec that Apollo Router and Hive Gateway implement:
 * - composite fields cost 1, scalars and enums 0, mutation root fields `mutationWeight`;
 *   `@cost(weight:)` on a field or its type replaces that;
 * - a list field multiplies its own weight plus its selection by its size: the largest
 *   slicing argument (`@listSize(slicingArguments:)`, else `first`/`last`/`limit`), a slicing
 *   argument left out or null counting as its default in the schema (what the resolvers
 *   return then); with no slicing argument at all, `@listSize(assumedSize:)`, else
 *   `defaultListSize`;
 * - `@listSize(sizedFields:)` moves the size to child list fields (`users(first: 100) { edges }`);
 * - introspection fields weigh 1 and are not multiplied (their lists are the schema's, and
 *   introspection has limits of its own).
 *
 * `variables` are the values that execute: coerced, with the operation's defaults applied
 * (`resolveOperation`), so the estimate is an upper bound of what runs.
 */
export function estimateCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  directives: CostDirectives,
  {
    variables = {},
    operationName,
    options = {},
  }: { variables?: Record<string, unknown>; operationName?: string | null; options?: CostModelOptions },
): number {
  const {
    defaultListSize = COST_MODEL_DEFAULTS.defaultListSize,
    mutationWeight = COST_MODEL_DEFAULTS.mutationWeight,
    maxNodes = SHAPE_LIMITS_DEFAULTS.maxNodes,
  } = options;
  const sized = sizedFieldMultipliers(sizedFieldPlan(schema, document, directives), variables);
  const mutationType = schema.getMutationType();

  const estimator: ComplexityEstimator = ({ type, field, node, args, childComplexity }) => {
    const coordinate = `${type.name}.${field.name}`;
    const named = getNamedType(field.type);
    if (field.name.startsWith('__') || type.name.startsWith('__')) return (isCompositeType(named) ? 1 : 0) + childComplexity;
    const weight =
      directives.fieldWeights.get(coordinate) ??
      directives.typeWeights.get(named.name) ??
      (type === mutationType ? mutationWeight : isCompositeType(named) ? 1 : 0);
    const isList = isListType(getNullableType(field.type));
    const multiplier = sized.get(node) ?? (isList ? listSize(field, directives.listSizes.get(coordinate), args, defaultListSize) : 1);
    return multiplier * (weight + childComplexity);
  };

  try {
    return getComplexity({
      schema,
      query: document,
      variables,
      operationName: operationName ?? undefined,
      estimators: [estimator],
      maxQueryNodes: maxNodes,
    });
  } catch (error) {
    // graphql-query-complexity's own node counter stops the walk with an error of no code (a
    // 500). The shape check counts the same nodes first, so this is only reached by a caller
    // that skipped it; it is still the client's operation that is too big.
    if (error instanceof Error && error.message.includes('maximum allowed number of nodes')) {
      throw operationRejected(GatewayErrorCode.MaxNodes, `Operation expands to more than ${maxNodes - 1} selections.`, {
        nodes: { max: maxNodes - 1 },
      });
    }
    throw error;
  }
}

/**
 * A list's size: its largest slicing argument, one left out or null counting as the
 * argument's schema default; with none of them, its assumed size.
 */
function listSize(
  field: GraphQLField<unknown, unknown>,
  directive: ListSize | undefined,
  args: Record<string, unknown>,
  defaultListSize: number,
): number {
  const slicing = directive?.slicingArguments ?? DEFAULT_SLICING_ARGUMENTS;
  const given = slicing
    .map((name) => args[name] ?? field.args.find((arg) => arg.name === name)?.defaultValue)
    .filter((v): v is number => typeof v === 'number');
  if (given.length) return Math.max(0, ...given);
  return directive?.assumedSize ?? defaultListSize;
}

/** A field with `@listSize(sizedFields:)` in a document, and the child field nodes it sizes. */
interface SizingField {
  node: FieldNode;
  fieldDef: GraphQLField<unknown, unknown>;
  listSize: ListSize;
  children: FieldNode[];
}

/** Where sized fields are does not depend on variables: found once per (document, directives). */
const plans = new WeakMap<DocumentNode, WeakMap<CostDirectives, SizingField[]>>();

function sizedFieldPlan(schema: GraphQLSchema, document: DocumentNode, directives: CostDirectives): SizingField[] {
  let byDirectives = plans.get(document);
  let plan = byDirectives?.get(directives);
  if (plan) return plan;
  plan = [];
  if ([...directives.listSizes.values()].some((l) => l.sizedFields?.length)) {
    const fragments = fragmentsOf(document);
    const typeInfo = new TypeInfo(schema);
    const found = plan;
    visit(
      document,
      visitWithTypeInfo(typeInfo, {
        Field(node) {
          const parent = typeInfo.getParentType();
          const fieldDef = typeInfo.getFieldDef();
          if (!parent || !fieldDef || !node.selectionSet) return;
          const listSize = directives.listSizes.get(`${parent.name}.${fieldDef.name}`);
          if (!listSize?.sizedFields?.length) return;
          const sizedNames = listSize.sizedFields;
          const children = [...childFields(node.selectionSet, fragments, new Set())].filter((c) => sizedNames.includes(c.name.value));
          found.push({ node, fieldDef, listSize, children });
        },
      }),
    );
  }
  if (!byDirectives) plans.set(document, (byDirectives = new WeakMap()));
  byDirectives.set(directives, plan);
  return plan;
}

/** The size each sized child field node gets from its parent's slicing arguments, with these variables. */
function sizedFieldMultipliers(plan: SizingField[], variables: Record<string, unknown>): Map<FieldNode, number> {
  const sized = new Map<FieldNode, number>();
  for (const { node, fieldDef, listSize: directive, children } of plan) {
    const size = listSize(fieldDef, directive, getArgumentValues(fieldDef, node, variables), Number.NaN);
    if (Number.isNaN(size)) continue;
    for (const child of children) sized.set(child, Math.max(sized.get(child) ?? 0, size));
  }
  return sized;
}

function* childFields(
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  seen: Set<string>,
): Generator<FieldNode> {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) yield selection;
    else if (selection.kind === Kind.INLINE_FRAGMENT) yield* childFields(selection.selectionSet, fragments, seen);
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      if (fragment) yield* childFields(fragment.selectionSet, fragments, seen);
    }
  }
}

/**
 * The variables an operation's cost can depend on: those passed to a slicing argument
 * (`first`/`last`/`limit` or any `@listSize(slicingArguments:)` name) or to `@skip`/`@include`.
 * Others — a cursor, an id, an input object — never change the estimate, so a cached
 * estimate can be reused when only they differ.
 */
export function costRelevantVariables(document: DocumentNode, directives: CostDirectives): string[] {
  const slicing = new Set(DEFAULT_SLICING_ARGUMENTS);
  for (const listSize of directives.listSizes.values()) for (const name of listSize.slicingArguments ?? []) slicing.add(name);
  const relevant = new Set<string>();
  visit(document, {
    Argument(node, _key, _parent, _path, ancestors) {
      if (node.value.kind !== Kind.VARIABLE) return;
      const owner = ancestors[ancestors.length - 1];
      const isCondition = owner && 'kind' in owner && owner.kind === Kind.DIRECTIVE && ['skip', 'include'].includes(owner.name.value);
      if (isCondition || slicing.has(node.name.value)) relevant.add(node.value.name.value);
    },
  });
  return [...relevant].sort();
}
