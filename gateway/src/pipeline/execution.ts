import type { ApolloGateway } from '@apollo/gateway';
import type { GatewayContext } from './context.js';

type Executor = NonNullable<Awaited<ReturnType<ApolloGateway['load']>>['executor']>;
/** What Apollo Server hands the gateway's executor: the request context at execution. */
export type ExecutionRequest = Parameters<Executor>[0];
export type ExecutionResult = Awaited<ReturnType<Executor>>;

/**
 * Around the execution of an operation's plan: runs `next` (the steps after it, then Apollo
 * Gateway's executor) with the request as it is or as the step rewrites it — a new object,
 * never Apollo's own changed in place — or answers without it.
 */
export type ExecutionStep = (
  request: ExecutionRequest,
  next: (request: ExecutionRequest) => Promise<ExecutionResult>,
) => Promise<ExecutionResult>;

/**
 * The request's own context, the one the HTTP context function built: Apollo Server's gateway
 * interface hands it to the executor typed as any record, the one cast it takes to read it.
 */
export function contextOf(request: ExecutionRequest): GatewayContext {
  return request.context as GatewayContext;
}

/** The part of Apollo Server's gateway interface the gateway hands Apollo Server. */
export type ExecutingGateway = Pick<ApolloGateway, 'load' | 'onSchemaLoadOrUpdate' | 'stop'>;

/**
 * Apollo Gateway with `steps` around its executor, the first outermost. Apollo Server asks the
 * gateway for an executor when it loads; the one it gets runs the steps, then Apollo Gateway's.
 */
export function withExecutionSteps(gateway: ExecutingGateway, steps: readonly ExecutionStep[]): ExecutingGateway {
  if (steps.length === 0) return gateway;
  return {
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    stop: () => gateway.stop(),
    async load(options) {
      const loaded = await gateway.load(options);
      const executor = loaded.executor;
      if (!executor) return loaded;
      const run = steps.reduceRight<Executor>((next, step) => (request) => step(request, next), executor);
      return { ...loaded, executor: run };
    },
  };
}
