/**
 * What an operation actually cost, read from its response: the gateway's cost model
 * (weights, `@cost`) applied to the objects that were returned, each list counted at its real
 * length. The estimate is meant to be an upper bound of this.
 */
import type { CostDirectives } from '@tessera/gateway';
import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { collectFields, collectSubfields } from 'graphql/execution/collectFields.js';

/** The cost of `data`, the response to the (only) operation of `document` run with `variables` (coerced). */
export function actualCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown>,
  data: unknown,
  directives: CostDirectives,
): number {
  const fragments = Object.fromEntries(
    document.definitions.flatMap((d) =>
      d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as [string, FragmentDefinitionNode]] : [],
    ),
  );
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const root = schema.getQueryType()!;

  const objectCost = (type: GraphQLObjectType, fields: Map<string, readonly FieldNode[]>, value: Record<string, unknown>): number => {
    let total = 0;
    for (const [key, nodes] of fields) {
      const field = type.getFields()[nodes[0]!.name.value];
      if (!field) continue; // __typename
      const named = getNamedType(field.type);
      const weight =
        directives.fieldWeights.get(`${type.name}.${field.name}`) ??
        directives.typeWeights.get(named.name) ??
        (isCompositeType(named) ? 1 : 0);
      const one = (item: unknown): number => {
        if (item === null || item === undefined) return 0;
        if (!isObjectType(named)) return weight;
        return weight + objectCost(named, collectSubfields(schema, fragments, variables, named, nodes), item as Record<string, unknown>);
      };
      const result = value[key];
      total +=
        isListType(getNullableType(field.type)) && Array.isArray(result)
          ? result.reduce((sum: number, item) => sum + one(item), 0)
          : one(result);
    }
    return total;
  };
  return objectCost(
    root,
    collectFields(schema, fragments, variables, root, operation.selectionSet),
    (data ?? {}) as Record<string, unknown>,
  );
}
