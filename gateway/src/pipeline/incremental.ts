import type { Operation } from '@apollo/federation-internals';
import type { DeferNode, PlanNode } from '@apollo/query-planner';
import type { FormattedExecutionResult, GraphQLError } from 'graphql';
import type { ExecutionRequest, ExecutionResult } from './execution.js';

/** What Apollo Gateway's patched plan execution hands a {@link Deferral} when it starts (patches/@apollo__gateway*.patch). */
export interface DeferralBinding {
  /** The whole operation, `@defer` fragments and all (Apollo Federation's own form of it). */
  operation: Operation;
  /** The response `shapeOperation` selects from everything fetched so far (Apollo Gateway's result shaping). */
  shape(shapeOperation: Operation): { data?: Record<string, unknown> | null; errors: GraphQLError[] };
  /** The operation's own errors: those of the primary part. */
  errors: GraphQLError[];
}

/** Runs a node of the plan into the same answer; with `errors`, what fails in it is reported there instead of in the part running it. */
export type RunPlanNode = (node: PlanNode, errors?: GraphQLError[]) => Promise<unknown>;

/**
 * `@defer`'s side of Apollo Gateway's plan execution, as the patch calls it: bound when the
 * execution starts, handed each `DeferNode` (its primary block runs before `defer` resolves; its
 * deferred blocks run as parts of their own), and asked which operation shapes the first answer.
 */
export interface Deferral {
  bind(binding: DeferralBinding): void;
  defer(node: DeferNode, run: RunPlanNode, errors: GraphQLError[]): Promise<void>;
  /** The first part's operation (the deferred fragments left out), once the plan's root `DeferNode` ran. */
  primaryOperation(): Operation | undefined;
}

/** One payload after the first, as `multipart/mixed; deferSpec=20220824` carries it. */
export interface SubsequentResult {
  hasNext: boolean;
  incremental?: Array<{
    data: Record<string, unknown> | null;
    path: Array<string | number>;
    label?: string;
    errors?: FormattedExecutionResult['errors'];
  }>;
}

/** An answer in parts: what Apollo Server (patched) sends as `multipart/mixed`. */
export interface IncrementalResult {
  initialResult: ExecutionResult & { hasNext: boolean };
  subsequentResults: AsyncIterable<SubsequentResult>;
}

const DEFERRAL = Symbol('tessera.deferral');

/**
 * The request with a deferral, as the patched execution reads it (`requestContext.deferral`: a
 * plain property, since the patch is JavaScript): a copy, never Apollo's object changed in place.
 */
export function withDeferral(request: ExecutionRequest, deferral: Deferral): ExecutionRequest {
  return { ...request, deferral, [DEFERRAL]: true } as ExecutionRequest;
}

/** Whether the request's answer may come in parts: such a request's execution is never shared with another's. */
export function isDeferred(request: ExecutionRequest): boolean {
  return DEFERRAL in request;
}

/** Whether an execution's result is an answer in parts. */
export function isIncremental(result: ExecutionResult | IncrementalResult): result is IncrementalResult {
  return 'initialResult' in result;
}
