import type { ApolloServerPlugin, BaseContext, GraphQLRequestContextDidResolveOperation } from '@apollo/server';
import { resolveOperation, type ResolvedOperation } from '../../operation/index.js';

/**
 * One decision about a request, taken after validation and before the query plan is built:
 * throw a GraphQLError to refuse it — no subgraph is called — or note something in the
 * context for later hooks. `resolved` is the operation that will run and its coerced variables.
 */
export type AdmissionStep<C extends BaseContext> = (
  request: GraphQLRequestContextDidResolveOperation<C>,
  resolved: ResolvedOperation,
) => void | Promise<void>;

/**
 * Resolves the operation and its variables as execution will (a client mistake is a 400
 * with a code here, whatever else is configured), then runs the admission steps one after
 * another, in the order given; the first refusal answers. Apollo Server runs the
 * `didResolveOperation` hooks of separate plugins together, so an order such as "the persisted
 * query list decides before cost analysis" needs this one hook to hold it. Steps left
 * `undefined` (a feature switched off) are skipped.
 */
export function createAdmissionPlugin<C extends BaseContext>(steps: Array<AdmissionStep<C> | undefined>): ApolloServerPlugin<C> {
  const active = steps.filter((step): step is AdmissionStep<C> => step !== undefined);
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(request) {
          const resolved = resolveOperation(request.schema, request.document, request.request.operationName, request.request.variables);
          for (const step of active) await step(request, resolved);
        },
      };
    },
  };
}
