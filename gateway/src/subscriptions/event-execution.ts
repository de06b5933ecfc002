import { executeQueryPlan, type GraphQLDataSource } from '@apollo/gateway';
import type { ExecutionResult } from 'graphql';
import type { ExecutionRequest } from '../pipeline/index.js';
import type { ServiceMap, SubscriptionPlan } from './plan.js';

/**
 * The answer to one event of a subscription: the subgraph's event (the result of the `primary`
 * fetch) merged with what `rest` fetches for it from the other subgraphs — Apollo Gateway's own
 * plan execution, handed a plan of `primary` then `rest` in which the primary fetch is answered
 * by the event instead of a call. `request` is the subscription's request as the execution steps
 * hand it on (its context, variables and document); every fetch of `rest` goes through the
 * subgraphs' data sources as any query's would (deadline, retries, breaker, caches).
 */
export async function executeEvent(
  plan: SubscriptionPlan,
  services: ServiceMap,
  request: ExecutionRequest,
  event: ExecutionResult,
): Promise<ExecutionResult> {
  const { primary, rest } = plan;
  const answered = answeredBy(services[primary.serviceName], primary.operation, event);
  const node = rest ? { kind: 'Sequence' as const, nodes: [primary, rest] } : primary;
  const result = await executeQueryPlan(
    { kind: 'QueryPlan', node },
    { ...services, [primary.serviceName]: answered },
    request,
    plan.operationContext,
    plan.supergraphSchema,
    plan.apiSchema,
  );
  return result as ExecutionResult;
}

/** The primary subgraph's data source with the subscribing fetch answered by the event (a copy: execution merges into what it gets). */
function answeredBy(source: GraphQLDataSource | undefined, operation: string, event: ExecutionResult): GraphQLDataSource {
  return {
    process: (options) => {
      if (options.request.query === operation)
        return Promise.resolve(structuredClone(event) as Awaited<ReturnType<GraphQLDataSource['process']>>);
      if (!source) return Promise.reject(new Error('no data source for the subscription subgraph'));
      return source.process(options);
    },
  };
}
