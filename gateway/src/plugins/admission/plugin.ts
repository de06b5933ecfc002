import type { ApolloServerPlugin, BaseContext, GraphQLRequestContextDidResolveOperation } from '@apollo/server';

/**
 * One decision about a resolved operation (parsed, validated, its operation chosen), taken
 * before the query plan is built: throw a GraphQLError to refuse it — no subgraph is called —
 * or note something in the context for later hooks.
 */
export type AdmissionStep<C extends BaseContext> = (request: GraphQLRequestContextDidResolveOperation<C>) => void | Promise<void>;

/**
 * Runs the admission steps one after another, in the order given; the first refusal
 * answers. Apollo Server runs the `didResolveOperation` hooks of separate plugins together,
 * so an order such as "the persisted query list decides before cost analysis" needs this one
 * hook to hold it. Steps left `undefined` (a feature switched off) are skipped.
 */
export function createAdmissionPlugin<C extends BaseContext>(steps: Array<AdmissionStep<C> | undefined>): ApolloServerPlugin<C> {
  const active = steps.filter((step): step is AdmissionStep<C> => step !== undefined);
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(request) {
          for (const step of active) await step(request);
        },
      };
    },
  };
}
