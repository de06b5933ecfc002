import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from '@tessera/service-kit';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { GatewayErrorCode, limitError } from '../../errors.js';
import { checkShape, type OperationLimits } from './check-limits.js';
import type { CostDirectives } from './cost-directives.js';
import { costRelevantVariables, estimateCost, type CostModelOptions } from './estimate-cost.js';
import { measureOperation, type OperationShape } from './measure.js';

/** What the limits plugin leaves in the request context for logs and responses. */
export interface CostContext {
  cost?: { estimated: number; max: number };
}

/** Options of {@link createOperationLimitsPlugin}. */
export interface OperationLimitsOptions extends OperationLimits {
  /** Largest estimated cost accepted. @default 10_000 */
  maxCost: number;
  /** `enforce` rejects; `measure` only logs and reports what it would reject. @default 'enforce' */
  mode: 'enforce' | 'measure';
  /** Put `extensions.cost` on responses (useful in Sandbox). @default true in development */
  costInExtensions: boolean;
  costModel: CostModelOptions;
  /** The current supergraph's cost directives (they change when the supergraph does). */
  costDirectives: () => CostDirectives;
  logger: Logger;
}

/** Distinct variable sets remembered per document; the oldest is forgotten first. */
const COSTS_PER_DOCUMENT = 64;
/** Variables longer than this (as JSON) are not worth a cache key: estimate again. */
const MAX_VARIABLES_KEY = 1_024;

/**
 * Rejects abusive operations after validation and before the gateway builds a query plan,
 * so no subgraph is called: introspection abuse, depth, aliases, fragment expansion, then
 * estimated cost with the request's real variables. Apollo Server hands the same parsed
 * DocumentNode for a repeated query, so shapes are cached per document and costs per
 * (document, operation, cost-relevant variables): a repeated request is neither re-parsed nor
 * re-estimated, even when its cursor or ids change.
 */
export function createOperationLimitsPlugin(options: OperationLimitsOptions): ApolloServerPlugin<CostContext> {
  const shapes = new WeakMap<DocumentNode, Map<string, OperationShape>>();
  const shapeOf = (document: DocumentNode, operationName: string | null) => {
    let byName = shapes.get(document);
    if (!byName) shapes.set(document, (byName = new Map()));
    let shape = byName.get(operationName ?? '');
    if (!shape) byName.set(operationName ?? '', (shape = measureOperation(document, operationName)));
    return shape;
  };

  const costs = new WeakMap<DocumentNode, Map<string, number>>();
  const relevantVariables = new WeakMap<DocumentNode, string[]>();
  const costOf = (schema: GraphQLSchema, document: DocumentNode, operationName: string | null, variables: Record<string, unknown>) => {
    // Only the variables that can change the estimate make the key: a new cursor or id on
    // every request still hits the cache.
    let relevant = relevantVariables.get(document);
    if (!relevant) relevantVariables.set(document, (relevant = costRelevantVariables(document, options.costDirectives())));
    const variablesKey = JSON.stringify(relevant.map((name) => variables[name] ?? null));
    const key = variablesKey.length <= MAX_VARIABLES_KEY ? `${operationName ?? ''}\n${variablesKey}` : undefined;
    let byKey = costs.get(document);
    const cached = key === undefined ? undefined : byKey?.get(key);
    if (cached !== undefined) return cached;
    const estimated = estimateCost(schema, document, options.costDirectives(), {
      variables,
      operationName,
      options: { ...options.costModel, maxNodes: options.maxNodes + 1 },
    });
    if (key !== undefined) {
      if (!byKey) costs.set(document, (byKey = new Map()));
      if (byKey.size >= COSTS_PER_DOCUMENT) byKey.delete(byKey.keys().next().value!);
      byKey.set(key, estimated);
    }
    return estimated;
  };

  const reject = (error: ReturnType<typeof limitError>, operationName: string | null) => {
    if (options.mode === 'enforce') throw error;
    options.logger.warn({ operationName, code: error.extensions.code, limit: error.message }, 'operation over a limit (measure-only mode: served)');
  };

  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operationName, request, schema, contextValue }) {
          const shapeError = checkShape(shapeOf(document, operationName), options);
          if (shapeError) reject(shapeError, operationName);

          const estimated = costOf(schema, document, operationName, request.variables ?? {});
          contextValue.cost = { estimated, max: options.maxCost };
          if (estimated > options.maxCost) {
            reject(
              limitError(GatewayErrorCode.CostTooExpensive, `Operation's estimated cost ${estimated} is over the maximum of ${options.maxCost}.`, {
                cost: contextValue.cost,
              }),
              operationName,
            );
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (!options.costInExtensions || !contextValue.cost || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, cost: contextValue.cost };
        },
      };
    },
  };
}
