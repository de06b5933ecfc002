import { Counter, type Registry } from 'prom-client';
import { contextOf, type ExecutionRequest, type GatewayFeature } from '../../pipeline/index.js';
import { overrideLabelsOf, resolveLabels } from './labels.js';

/** Options of {@link createProgressiveOverride}. */
export interface ProgressiveOverrideOptions {
  /** Labels other than `percent(N)` that are on (`OVERRIDE_LABELS`). @default [] */
  enabledLabels?: readonly string[];
  registry?: Registry;
}

/**
 * Progressive override (`@override(from: "…", label: "percent(10)")`, Federation 2.7): every label
 * of the supergraph resolved for each request (`labels.ts`) and handed to the query planner
 * (patched `@apollo/gateway`: the plan is built, and cached, per set of labels that are on), so a
 * field moves between subgraphs for that share of callers. Counts requests per label and side.
 */
export function createProgressiveOverride({ enabledLabels = [], registry }: ProgressiveOverrideOptions = {}): GatewayFeature {
  const enabled = new Set(enabledLabels);
  let labels: string[] = [];
  const requests = new Counter({
    name: 'graphql_override_label_requests_total',
    help: 'Operations planned with each progressive @override label, by whether it was on.',
    labelNames: ['label', 'overridden'],
    registers: registry ? [registry] : [],
  });
  return {
    name: 'progressive override',
    onSupergraph: ({ sdl }) => (labels = overrideLabelsOf(sdl)),
    execute(request, next) {
      if (labels.length === 0) return next(request);
      const conditions = resolveLabels(labels, { callerKey: callerKeyOf(request), enabled });
      for (const [label, on] of conditions) requests.inc({ label, overridden: String(on) });
      return next({ ...request, overrideConditions: conditions } as ExecutionRequest);
    },
  };
}

/** The caller's subject when signed in (the same side of every label each time), else this request's id. */
function callerKeyOf(request: ExecutionRequest): string {
  const context = contextOf(request);
  return context.identity.sub !== undefined ? `sub:${context.identity.sub}` : `request:${context.requestId}`;
}
