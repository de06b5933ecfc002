import type { Operation } from '@apollo/federation-internals';
import type { DeferNode, PlanNode } from '@apollo/query-planner';
import type { FormattedExecutionResult, GraphQLError, GraphQLFormattedError } from 'graphql';
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

/** A whole answer, as the parts of an answer in parts make it once merged. */
export interface WholeResult {
  data: Record<string, unknown> | null | undefined;
  /** Every part's errors, the first part's first. */
  errors: GraphQLFormattedError[];
}

/**
 * The parts after the first, handed on unchanged; once the last is out, `onWhole` is told the
 * answer they make with the first part (each item's data merged at its path). A client that
 * stops reading before the end leaves `onWhole` uncalled.
 */
export async function* withWholeAnswer(
  first: { data?: Record<string, unknown> | null; errors?: FormattedExecutionResult['errors'] },
  parts: AsyncIterable<SubsequentResult>,
  onWhole: (whole: WholeResult) => void,
): AsyncGenerator<SubsequentResult> {
  const whole: WholeResult = { data: first.data ? structuredClone(first.data) : first.data, errors: [...(first.errors ?? [])] };
  for await (const part of parts) {
    for (const item of part.incremental ?? []) {
      whole.errors.push(...(item.errors ?? []));
      const target = whole.data ? at(whole.data, item.path) : undefined;
      if (isRecord(target) && item.data) mergeInto(target, structuredClone(item.data));
    }
    yield part;
    if (!part.hasNext) onWhole(whole);
  }
}

function at(data: Record<string, unknown>, path: ReadonlyArray<string | number>): unknown {
  let value: unknown = data;
  for (const step of path)
    value = typeof step === 'number' ? (Array.isArray(value) ? value[step] : undefined) : isRecord(value) ? value[step] : undefined;
  return value;
}

/** Adds `source`'s fields to `target`: objects merged field by field, lists item by item. */
function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) target[key] = merged(target[key], value);
}

function merged(existing: unknown, value: unknown): unknown {
  if (isRecord(existing) && isRecord(value)) return (mergeInto(existing, value), existing);
  if (Array.isArray(existing) && Array.isArray(value)) return value.map((item, i) => merged(existing[i], item));
  return value;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
