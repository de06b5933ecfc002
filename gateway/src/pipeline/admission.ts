import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from './context.js';
import type { AdmissionStep } from './feature.js';
import { resolveOperation } from './resolve-operation.js';

/**
 * Resolves the operation and its variables as execution will (a client mistake is a 400
 * with a code here, whatever else is configured), then runs the admission steps one after
 * another, in the order given; the first refusal answers. Apollo Server runs the
 * `didResolveOperation` hooks of separate plugins together, so an order such as "the persisted
 * query list decides before cost analysis" needs this one hook to hold it.
 */
export function createAdmissionPlugin(steps: readonly AdmissionStep[]): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(request) {
          const resolved = resolveOperation(request.schema, request.document, request.request.operationName, request.request.variables);
          for (const step of steps) await step(request, resolved);
        },
      };
    },
  };
}
