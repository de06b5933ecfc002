import type { ApolloGateway } from '@apollo/gateway';
import { ANONYMOUS, callerPart, composeKey, type Identity } from '@tessera/service-kit';
import { Counter, type Registry } from 'prom-client';
import { createInflightShare } from '../inflight.js';

type Executor = NonNullable<Awaited<ReturnType<ApolloGateway['load']>>['executor']>;
type ExecutionRequest = Parameters<Executor>[0];
type ExecutionResult = Awaited<ReturnType<Executor>>;

/** The part of Apollo Server's gateway interface this wraps. */
export type ExecutingGateway = Pick<ApolloGateway, 'load' | 'onSchemaLoadOrUpdate' | 'stop'>;

/**
 * What makes two queries' answers the same: the document as it will run (after authorization
 * took out what the caller may not see, `queryHash` says which), the operation, the variables
 * and the caller. A request's deadline, id and trace do not change the answer.
 */
function keyOf(request: ExecutionRequest): string | undefined {
  if (request.operation.operation !== 'query') return undefined;
  const identity = (request.context as { identity?: Identity }).identity ?? ANONYMOUS;
  try {
    return composeKey([request.queryHash, request.operationName ?? null, request.request.variables ?? {}, callerPart(identity)]);
  } catch {
    // Variables nested too deeply to write (a client may send unused ones): run unshared.
    return undefined;
  }
}

/**
 * Apollo Gateway with identical queries in flight at once executed once: a request whose
 * operation, variables and caller match one being executed waits for that execution's result
 * instead of planning and fetching again. Everything before execution — parsing, the limits,
 * the persisted query list, the rate limit, authorization — still runs for each request, and
 * each gets its own response (errors formatted, extensions and status its own). Nothing is
 * kept once the execution ends: this collapses a burst of the same query (a popular page, a
 * retry storm), it is not a cache. Mutations and subscriptions are never shared.
 */
export function deduplicateExecution(gateway: ExecutingGateway, registry?: Registry): ExecutingGateway {
  const shared = new Counter({
    name: 'graphql_operations_deduplicated_total',
    help: 'Queries answered with the result of an identical query (document, variables, caller) already executing.',
    registers: registry ? [registry] : [],
  });
  const inflight = createInflightShare<ExecutionResult>();
  return {
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    stop: () => gateway.stop(),
    async load(options) {
      const loaded = await gateway.load(options);
      const executor = loaded.executor;
      if (!executor) return loaded;
      return {
        ...loaded,
        executor: async (request) => {
          const key = keyOf(request);
          if (key === undefined) return executor(request);
          const execution = inflight.get(key, () => executor(request));
          if (execution.shared) shared.inc();
          const result = await execution.promise;
          // Apollo Server and the plugins set a response's errors and extensions on their own copy; the data is the same for every caller.
          return { ...result, ...(result.extensions && { extensions: { ...result.extensions } }) };
        },
      };
    },
  };
}
