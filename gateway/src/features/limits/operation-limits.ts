import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from '@tessera/service-kit';
import type { GraphQLError } from 'graphql';
import { Histogram, type Registry } from 'prom-client';
import { GatewayErrorCode, operationRejected } from '../../errors.js';
import { withDefaults } from '../../options.js';
import type { AdmissionStep, GatewayContext, GatewayFeature } from '../../pipeline/index.js';
import { DOCUMENT_LIMITS_DEFAULTS, type DocumentLimits } from './before-validation.js';
import { createCostCache } from './cost-cache.js';
import { NO_COST_DIRECTIVES, readCostDirectives } from './directives.js';
import { COST_MODEL_DEFAULTS, estimateCost, type CostModelOptions } from './estimate.js';
import { checkShape } from './shape-limits.js';

/** The limits and the cost model (`LIMITS_MODE`, `COST_*`, `MAX_*`). */
export interface OperationLimitsSettings extends DocumentLimits {
  /** Largest estimated cost accepted. @default 10_000 */
  maxCost: number;
  /** `enforce` refuses; `measure` only logs and counts what it would refuse. @default 'enforce' */
  mode: 'enforce' | 'measure';
  /** Put `extensions.cost` on responses (useful in Sandbox). @default false (the configuration: true in development) */
  costInExtensions: boolean;
  costModel: CostModelOptions;
}

/** Every default of the limits, written once. */
export const OPERATION_LIMITS_DEFAULTS: OperationLimitsSettings = {
  ...DOCUMENT_LIMITS_DEFAULTS,
  maxCost: 10_000,
  mode: 'enforce',
  costInExtensions: false,
  costModel: COST_MODEL_DEFAULTS,
};

/** Options of {@link createOperationLimits}: the settings (each defaulting as {@link OPERATION_LIMITS_DEFAULTS}) and where it reports. */
export interface OperationLimitsOptions extends Partial<OperationLimitsSettings> {
  logger: Logger;
  /** Where the cost histogram goes. */
  registry?: Registry;
}

/** The limits as the gateway wires them, and the cost they estimated for an operation. */
export interface OperationLimitsFeature extends GatewayFeature {
  /** The operation's estimated cost, once admitted (the rate limit charges it, the request log writes it). */
  readonly costOf: (context: GatewayContext) => number | undefined;
}

/**
 * Refuses abusive operations after validation and before the gateway builds a query plan, so no
 * subgraph is called: introspection abuse, depth, aliases, fragment expansion, then the estimated
 * cost with the request's real variables (cached per document), by the cost directives of the
 * supergraph being served. `measure` mode refuses nothing and logs what it would refuse.
 */
export function createOperationLimits(options: OperationLimitsOptions): OperationLimitsFeature {
  const settings = withDefaults(OPERATION_LIMITS_DEFAULTS, options);
  const cache = createCostCache();
  const costs = new WeakMap<GatewayContext, number>();
  const observed = new Histogram({
    name: 'graphql_operation_cost',
    help: 'Estimated cost of each operation admitted for cost analysis (COST_MAX refuses above).',
    buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 100_000],
    registers: options.registry ? [options.registry] : [],
  });
  let directives = NO_COST_DIRECTIVES;
  const refuse = (error: GraphQLError, operationName: string | null) => {
    if (settings.mode === 'enforce') throw error;
    options.logger.warn(
      { operationName, code: error.extensions.code, limit: error.message },
      'operation over a limit (measure-only mode: served)',
    );
  };

  const admit: AdmissionStep = ({ document, operationName, schema, contextValue }, { variables }) => {
    const shapeError = checkShape(cache.shape(document, operationName), settings);
    if (shapeError) refuse(shapeError, operationName);
    const costModel = { ...settings.costModel, maxNodes: settings.maxNodes + 1 };
    const estimated = cache.cost({ document, operationName, variables, directives }, () =>
      estimateCost(schema, document, directives, { variables, operationName, options: costModel }),
    );
    costs.set(contextValue, estimated);
    observed.observe(estimated);
    if (estimated > settings.maxCost) {
      const message = `Operation's estimated cost ${estimated} is over the maximum of ${settings.maxCost}.`;
      refuse(operationRejected(GatewayErrorCode.CostTooExpensive, message, { cost: { estimated, max: settings.maxCost } }), operationName);
    }
  };

  return {
    name: 'operation limits',
    admit,
    plugins: settings.costInExtensions ? [costExtension((context) => costs.get(context), settings.maxCost)] : [],
    onSupergraph: ({ sdl }) => (directives = readCostDirectives(sdl)),
    costOf: (context) => costs.get(context),
  };
}

/** `extensions.cost: { estimated, max }` on every response to an operation the limits estimated. */
function costExtension(costOf: (context: GatewayContext) => number | undefined, max: number): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          const estimated = costOf(contextValue);
          if (estimated === undefined || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, cost: { estimated, max } };
        },
      };
    },
  };
}
