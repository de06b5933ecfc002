/**
 * What is left of a request's time budget, in milliseconds, as the gateway sends it with each
 * subgraph call: the subgraph stops working on the request once it runs out.
 */
export const BUDGET_HEADER = 'x-tessera-budget-ms';

/** Longest budget accepted from a caller: ten minutes. */
const MAX_BUDGET_MS = 600_000;

/** The budget a header states: a whole number of milliseconds from 1 to ten minutes; otherwise none. */
export function parseBudget(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{1,9}$/.test(value)) return undefined;
  const ms = Number(value);
  return ms >= 1 && ms <= MAX_BUDGET_MS ? ms : undefined;
}
