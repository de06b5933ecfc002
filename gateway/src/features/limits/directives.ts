import { Kind, parse, valueFromASTUntyped, type ConstDirectiveNode, type DefinitionNode } from 'graphql';

/** `@listSize` of one field, as the demand-control spec defines it. */
export interface ListSize {
  assumedSize?: number;
  slicingArguments?: string[];
  sizedFields?: string[];
  requireOneSlicingArgument: boolean;
}

/** The cost directives of a supergraph, by type name and by `Type.field` coordinate. */
export interface CostDirectives {
  typeWeights: Map<string, number>;
  fieldWeights: Map<string, number>;
  listSizes: Map<string, ListSize>;
}

/** No `@cost` or `@listSize` anywhere: every default applies (before a supergraph is loaded). */
export const NO_COST_DIRECTIVES: CostDirectives = { typeWeights: new Map(), fieldWeights: new Map(), listSizes: new Map() };

const COST = new Set(['cost', 'cost__cost']);
const LIST_SIZE = new Set(['listSize', 'cost__listSize']);

/**
 * Reads `@cost(weight:)` and `@listSize(...)` from a supergraph SDL. Composition keeps them
 * there (the `cost` spec link) while the API schema the gateway executes drops them, so
 * the estimator looks them up here by coordinate.
 */
export function readCostDirectives(supergraphSdl: string): CostDirectives {
  const result: CostDirectives = { typeWeights: new Map(), fieldWeights: new Map(), listSizes: new Map() };
  for (const definition of parse(supergraphSdl).definitions) {
    if (!hasFields(definition)) continue;
    const typeName = definition.name.value;
    const typeWeight = weightOf(definition.directives);
    if (typeWeight !== undefined) result.typeWeights.set(typeName, typeWeight);
    for (const field of definition.fields ?? []) {
      const coordinate = `${typeName}.${field.name.value}`;
      const weight = weightOf(field.directives);
      if (weight !== undefined) result.fieldWeights.set(coordinate, weight);
      const listSize = field.directives?.find((d) => LIST_SIZE.has(d.name.value));
      if (listSize) result.listSizes.set(coordinate, readListSize(listSize));
    }
  }
  return result;
}

type WithFields = Extract<
  DefinitionNode,
  { kind: Kind.OBJECT_TYPE_DEFINITION | Kind.INTERFACE_TYPE_DEFINITION | Kind.OBJECT_TYPE_EXTENSION | Kind.INTERFACE_TYPE_EXTENSION }
>;

function hasFields(definition: DefinitionNode): definition is WithFields {
  return (
    definition.kind === Kind.OBJECT_TYPE_DEFINITION ||
    definition.kind === Kind.INTERFACE_TYPE_DEFINITION ||
    definition.kind === Kind.OBJECT_TYPE_EXTENSION ||
    definition.kind === Kind.INTERFACE_TYPE_EXTENSION
  );
}

function argument(directive: ConstDirectiveNode, name: string): unknown {
  const node = directive.arguments?.find((a) => a.name.value === name);
  return node ? valueFromASTUntyped(node.value) : undefined;
}

function weightOf(directives: readonly ConstDirectiveNode[] | undefined): number | undefined {
  const cost = directives?.find((d) => COST.has(d.name.value));
  const weight = cost && argument(cost, 'weight');
  return typeof weight === 'number' ? weight : undefined;
}

function readListSize(directive: ConstDirectiveNode): ListSize {
  const assumedSize = argument(directive, 'assumedSize');
  const slicingArguments = argument(directive, 'slicingArguments');
  const sizedFields = argument(directive, 'sizedFields');
  const requireOne = argument(directive, 'requireOneSlicingArgument');
  return {
    ...(typeof assumedSize === 'number' && { assumedSize }),
    ...(Array.isArray(slicingArguments) && { slicingArguments: slicingArguments.map(String) }),
    ...(Array.isArray(sizedFields) && { sizedFields: sizedFields.map(String) }),
    requireOneSlicingArgument: requireOne !== false,
  };
}
