import type { GatewayContext } from './context.js';

const joined = new WeakSet<GatewayContext>();

/**
 * The request of `context` was answered with another request's execution, which may have started
 * before a write this request's own lookups already saw (in-flight deduplication).
 */
export function markJoinedExecution(context: GatewayContext): void {
  joined.add(context);
}

/** Whether the request's answer came from another request's execution: not to be kept under its own lookups. */
export function joinedExecution(context: GatewayContext): boolean {
  return joined.has(context);
}
