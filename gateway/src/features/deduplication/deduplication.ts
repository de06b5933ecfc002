import { callerPart, composeKey } from '@tessera/service-kit';
import { OperationTypeNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { Counter, type Registry } from 'prom-client';
import { createInflightShare } from '../../inflight.js';
import {
  contextOf,
  isDeferred,
  markJoinedExecution,
  type ExecutionRequest,
  type ExecutionResult,
  type GatewayFeature,
} from '../../pipeline/index.js';

/**
 * What makes two queries' answers the same: the document as it will run (after authorization
 * took out what the caller may not see, `queryHash` says which), the operation, the variables
 * and the caller. A request's deadline, id and trace do not change the answer.
 */
function keyOf(request: ExecutionRequest, writes: number): string | undefined {
  if (request.operation.operation !== OperationTypeNode.QUERY) return undefined;
  try {
    return composeKey([
      request.queryHash,
      request.operationName ?? null,
      request.request.variables ?? {},
      callerPart(contextOf(request).identity),
      writes,
    ]);
  } catch {
    // Variables nested too deeply to write (a client may send unused ones): run unshared.
    return undefined;
  }
}

/**
 * Identical queries in flight at once executed once: a request whose operation, variables and
 * caller match one being executed waits for that execution's result instead of planning and
 * fetching again. Everything before execution — parsing, the limits, the persisted query list,
 * the rate limit, authorization — still runs for each request, and each gets its own response
 * (errors formatted, extensions and status its own). Nothing is kept once the execution ends:
 * this collapses a burst of the same query (a popular page, a retry storm), it is not a cache.
 * Mutations and subscriptions are never shared. Listed after authorization, whose execution step
 * hands it the document that will run.
 */
export function createDeduplication({ registry }: { registry?: Registry } = {}): GatewayFeature {
  const shared = new Counter({
    name: 'graphql_operations_deduplicated_total',
    help: 'Queries answered with the result of an identical query (document, variables, caller) already executing.',
    registers: registry ? [registry] : [],
  });
  const inflight = createInflightShare<ExecutionResult>();
  // Each caller's writes done through this gateway: a query asked after one never joins an
  // execution from before it (the caller reads its own writes).
  const writesBy = new LRUCache<string, number>({ max: 50_000, ttl: 60_000 });
  return {
    name: 'deduplication',
    async execute(request, next) {
      const caller = contextOf(request).identity.sub ?? '';
      if (request.operation.operation === OperationTypeNode.MUTATION)
        return next(request).finally(() => writesBy.set(caller, (writesBy.get(caller) ?? 0) + 1));
      // An answer in parts (`@defer`) is read once, by its own client: never shared.
      const key = isDeferred(request) ? undefined : keyOf(request, writesBy.get(caller) ?? 0);
      if (key === undefined) return next(request);
      const execution = inflight.get(key, () => next(request));
      if (execution.shared) {
        shared.inc();
        markJoinedExecution(contextOf(request));
      }
      const result = await execution.promise;
      // Apollo Server and the plugins set a response's errors and extensions on their own copy; the data is the same for every caller.
      return { ...result, ...(result.extensions && { extensions: { ...result.extensions } }) };
    },
  };
}
