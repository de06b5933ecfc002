import { ErrorCode, type OperationShape } from '@tessera/service-kit';
import type { GraphQLError } from 'graphql';
import { GatewayErrorCode, operationRejected } from '../../errors.js';

/** The shape limits' defaults (`MAX_DEPTH`, `MAX_ALIASES`, `MAX_QUERY_NODES`, `MAX_INTROSPECTION_DEPTH`). */
export const SHAPE_LIMITS_DEFAULTS: OperationLimits = {
  maxDepth: 15,
  maxAliases: 30,
  maxNodes: 10_000,
  maxSchemaFields: 1,
  maxOfTypeDepth: 10,
};

/** Operation limits enforced before planning. */
export interface OperationLimits {
  /** @default 15 */
  maxDepth: number;
  /** @default 30 */
  maxAliases: number;
  /** Fields after fragment expansion. @default 10_000 */
  maxNodes: number;
  /** `__schema` fields per operation. @default 1 */
  maxSchemaFields: number;
  /** Nested `ofType` fields; graphql-js 16's own introspection query uses 9 (its `TypeRef`). @default 10 */
  maxOfTypeDepth: number;
}

/** The first limit an operation's shape breaks, as the error to answer with; null when within all. */
export function checkShape(shape: OperationShape, limits: OperationLimits): GraphQLError | null {
  if (shape.schemaFields > limits.maxSchemaFields) {
    return operationRejected(GatewayErrorCode.IntrospectionLimit, `At most ${limits.maxSchemaFields} __schema field(s) per operation.`, {
      introspection: { schemaFields: shape.schemaFields, max: limits.maxSchemaFields },
    });
  }
  if (shape.ofTypeDepth > limits.maxOfTypeDepth) {
    return operationRejected(
      GatewayErrorCode.IntrospectionLimit,
      `Introspection nests ofType ${shape.ofTypeDepth} deep; at most ${limits.maxOfTypeDepth}.`,
      {
        introspection: { ofTypeDepth: shape.ofTypeDepth, max: limits.maxOfTypeDepth },
      },
    );
  }
  if (shape.depth > limits.maxDepth) {
    return operationRejected(ErrorCode.MaxDepth, `Operation is ${shape.depth} fields deep; at most ${limits.maxDepth}.`, {
      depth: { measured: shape.depth, max: limits.maxDepth },
    });
  }
  if (shape.aliases > limits.maxAliases) {
    return operationRejected(GatewayErrorCode.MaxAliases, `Operation uses ${shape.aliases} aliases; at most ${limits.maxAliases}.`, {
      aliases: { measured: shape.aliases, max: limits.maxAliases },
    });
  }
  if (shape.nodes > limits.maxNodes) {
    return operationRejected(GatewayErrorCode.MaxNodes, `Operation expands to ${shape.nodes} fields; at most ${limits.maxNodes}.`, {
      nodes: { measured: shape.nodes, max: limits.maxNodes },
    });
  }
  return null;
}
