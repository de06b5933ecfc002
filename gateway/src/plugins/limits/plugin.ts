import type { ApolloServerPlugin } from '@apollo/server';
import type { Guard, Logger } from '@tessera/service-kit';
import type { GraphQLError } from 'graphql';
import { Histogram, type Registry } from 'prom-client';
import {
  checkShape,
  createCostCache,
  estimateCost,
  type CostDirectives,
  type CostModelOptions,
  type DocumentLimits,
} from '../../cost/index.js';
import { GatewayErrorCode, operationRejected } from '../../errors.js';
import type { AdmissionStep } from '../admission/index.js';
import { createDocumentGuard } from './document-guard.js';

/** What the limits leave in the request context for logs and responses. */
export interface CostContext {
  cost?: { estimated: number; max: number };
}

/** Options of {@link createOperationLimits}. */
export interface OperationLimitsOptions extends DocumentLimits {
  /** Lexical tokens a document may have, as Apollo Server parses it (`MAX_TOKENS`). @default 10_000 */
  maxTokens: number;
  /** Largest estimated cost accepted. @default 10_000 */
  maxCost: number;
  /** `enforce` rejects; `measure` only logs and reports what it would reject. @default 'enforce' */
  mode: 'enforce' | 'measure';
  /** Put `extensions.cost` on responses (useful in Sandbox). @default true in development */
  costInExtensions: boolean;
  costModel: CostModelOptions;
  /** The cost directives of the supergraph being served (they change when it does). */
  costDirectives: () => CostDirectives;
  logger: Logger;
  /** Where the cost histogram goes. */
  registry?: Registry;
}

/** The limits as the gateway wires them: a guard before Apollo, an admission step and a plugin for the response. */
export interface OperationLimitsFeature {
  /** Before Apollo parses and validates: a document over a shape limit refused (`createDocumentGuard`); nothing in `measure` mode. */
  guard: Guard;
  /** Refuses an operation over a limit (in `enforce` mode) and notes its cost in the context. */
  admit: AdmissionStep<CostContext>;
  /** Adds `extensions.cost` to responses when `costInExtensions`. */
  plugin: ApolloServerPlugin<CostContext>;
}

/**
 * Refuses abusive operations after validation and before the gateway builds a query plan,
 * so no subgraph is called: introspection abuse, depth, aliases, fragment expansion, then
 * the estimated cost with the request's real variables (`cost/`, cached per document).
 */
export function createOperationLimits(options: OperationLimitsOptions): OperationLimitsFeature {
  const cache = createCostCache();
  const costs = new Histogram({
    name: 'graphql_operation_cost',
    help: 'Estimated cost of each operation admitted for cost analysis (COST_MAX refuses above).',
    buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 100_000],
    registers: options.registry ? [options.registry] : [],
  });
  const refuse = (error: GraphQLError, operationName: string | null) => {
    if (options.mode === 'enforce') throw error;
    options.logger.warn(
      { operationName, code: error.extensions.code, limit: error.message },
      'operation over a limit (measure-only mode: served)',
    );
  };

  const admit: AdmissionStep<CostContext> = ({ document, operationName, schema, contextValue }, { variables }) => {
    const shapeError = checkShape(cache.shape(document, operationName), options);
    if (shapeError) refuse(shapeError, operationName);

    const directives = options.costDirectives();
    const estimated = cache.cost({ document, operationName, variables, directives }, () =>
      estimateCost(schema, document, directives, {
        variables,
        operationName,
        options: { ...options.costModel, maxNodes: options.maxNodes + 1 },
      }),
    );
    contextValue.cost = { estimated, max: options.maxCost };
    costs.observe(estimated);
    if (estimated > options.maxCost) {
      const message = `Operation's estimated cost ${estimated} is over the maximum of ${options.maxCost}.`;
      refuse(operationRejected(GatewayErrorCode.CostTooExpensive, message, { cost: contextValue.cost }), operationName);
    }
  };

  // Measure mode refuses nothing: admission logs what it would have refused.
  const guard: Guard =
    options.mode === 'enforce'
      ? createDocumentGuard({ limits: options, maxTokens: options.maxTokens, logger: options.logger, registry: options.registry })
      : async () => {};

  const plugin: ApolloServerPlugin<CostContext> = {
    async requestDidStart() {
      if (!options.costInExtensions) return;
      return {
        async willSendResponse({ response, contextValue }) {
          if (!contextValue.cost || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, cost: contextValue.cost };
        },
      };
    },
  };
  return { guard, admit, plugin };
}
