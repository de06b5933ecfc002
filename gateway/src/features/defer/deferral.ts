import type { Operation } from '@apollo/federation-internals';
import type { DeferNode, DeferredNode, PlanNode } from '@apollo/query-planner';
import { withSpan } from '@tessera/service-kit';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Deferral, DeferralBinding, RunPlanNode, SubsequentResult } from '../../pipeline/index.js';
import { itemsOf, operationAt } from './shape.js';

/** What formats an error as clients see it (Apollo Server's `formatError`). */
export type FormatError = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

/** A request's deferral, with what the feature reads of it once the first part is out. */
export interface RequestDeferral extends Deferral {
  /** Whether any deferred block was started: the answer is then in parts. */
  readonly deferred: boolean;
  /** The parts after the first, each as soon as its block's fetches are done; the last with `hasNext: false`. */
  parts(): AsyncIterable<SubsequentResult>;
  /** The first part's data with the objects on the way to every deferred fragment in it (`{}` for a field whose fields are all deferred). */
  completeFirst(data: Record<string, unknown> | null | undefined): void;
}

// The operations that shape each part, by the plan node they come from: a plan is cached and
// reused, and its nodes with it, so each is built once per plan.
const shapingOperations = new WeakMap<object, Operation>();

function shapingOperation(node: object, operation: Operation, queryPath: readonly string[], subselection: string): Operation {
  let shaping = shapingOperations.get(node);
  if (!shaping) shapingOperations.set(node, (shaping = operationAt(operation, queryPath, subselection)));
  return shaping;
}

/** A deferred block being run: the errors of its fetches are its own. */
interface Block {
  node: DeferredNode;
  /** Its fields: the block's own subselection, or its nested `DeferNode`'s primary one. */
  subselection?: string;
  /** The node whose subselection it is (the key of its shaping operation). */
  shapedBy?: object;
  errors: GraphQLError[];
  /** The deferred blocks its own `DeferNode` started: their paths must be in its part. */
  children: DeferredNode[];
  /** Settles once its part is sent: a nested fragment's part never goes before the part it is in. */
  sent?: Promise<void>;
}

/**
 * `@defer` for one request, as the patched plan execution drives it: each `DeferNode`'s primary
 * block runs in place; each deferred block starts once the fetches it depends on are done (in
 * parallel with its siblings), with errors of its own, and when it ends its fields are shaped
 * from everything fetched and sent as a part — one item per object the fragment applies to.
 */
export function createRequestDeferral({ formatError }: { formatError: FormatError }): RequestDeferral {
  let binding: DeferralBinding | undefined;
  let primary: Operation | undefined;
  let primaryIsEmpty = false;
  const blocks = new Map<GraphQLError[], Block>();
  const rootChildren: DeferredNode[] = [];
  const fetchesDone = new Map<string, Promise<void>>();
  const outbox = createOutbox();
  let pending = 0;

  const send = (block: Block) => {
    pending -= 1;
    const items = partItems(binding!, block, formatError);
    outbox.push({ hasNext: pending > 0, ...(items.length > 0 && { incremental: items }) });
    if (pending === 0) outbox.end();
  };

  const start = (node: DeferredNode, run: RunPlanNode, parent: Block | undefined) => {
    const block = blockOf(node);
    blocks.set(block.errors, block);
    pending += 1;
    const after = node.depends.map((d) => fetchesDone.get(d.id)).filter((p): p is Promise<void> => p !== undefined);
    const running = Promise.all(after).then(() => runTraced(node, run, block.errors));
    const done = running.then(
      () => undefined,
      (error: unknown) => void block.errors.push(asGraphQLError(error)),
    );
    for (const id of fetchIdsIn(node.node)) fetchesDone.set(id, done);
    block.sent = Promise.all([done, parent?.sent]).then(() => send(block));
  };

  return {
    get deferred() {
      return pending > 0 || outbox.used;
    },
    bind(given) {
      binding = given;
    },
    primaryOperation: () => primary,
    async defer(node: DeferNode, run: RunPlanNode, errors: GraphQLError[]) {
      if (node.primary.node) await run(node.primary.node);
      const block = blocks.get(errors);
      const subselection = node.primary.subselection;
      // Everything deferred: the first part selects only the way to the fragments (its `__typename`, taken out again).
      if (!block)
        [primary, primaryIsEmpty] = [shapingOperation(node, binding!.operation, [], subselection || '{ __typename }'), !subselection];
      else if (block && !block.subselection && subselection) Object.assign(block, { subselection, shapedBy: node });
      (block ? block.children : rootChildren).push(...node.deferred);
      for (const deferred of node.deferred) start(deferred, run, block);
    },
    parts: () => outbox.drain(),
    completeFirst(data) {
      if (primaryIsEmpty && data) delete data.__typename;
      withPathsTo(binding!, data, rootChildren);
    },
  };
}

/** A deferred block's fetches in a span of their own (its label and path), in the request's trace. */
function runTraced(node: DeferredNode, run: RunPlanNode, errors: GraphQLError[]): Promise<unknown> | undefined {
  if (!node.node) return undefined;
  const attributes = { 'graphql.defer.label': node.label ?? '', 'graphql.defer.path': node.queryPath.join('.') };
  return withSpan('gateway.defer', attributes, () => run(node.node!, errors));
}

function blockOf(node: DeferredNode): Block {
  return { node, subselection: node.subselection, shapedBy: node.subselection ? node : undefined, errors: [], children: [] };
}

/** A finished block's items: its fields shaped at its path from everything fetched, its errors formatted. */
function partItems(binding: DeferralBinding, block: Block, formatError: FormatError): NonNullable<SubsequentResult['incremental']> {
  const label = block.node.label;
  const { data, errors: shapingErrors } =
    block.subselection && block.shapedBy
      ? binding.shape(shapingOperation(block.shapedBy, binding.operation, block.node.queryPath, block.subselection))
      : { data: {}, errors: [] };
  const shaped = withPathsTo(binding, data, block.children);
  return itemsOf(shaped, block.node.queryPath, [...block.errors, ...shapingErrors]).map((item) => ({
    data: item.data,
    path: item.path,
    ...(label !== undefined && { label }),
    ...(item.errors.length > 0 && { errors: item.errors.map((error) => formatError(error.toJSON(), error)) }),
  }));
}

/** `shaped` with the way to each of `children`'s fragments as far as the data goes (a skeleton: objects, lists, nulls). */
function withPathsTo(binding: DeferralBinding, shaped: Record<string, unknown> | null | undefined, children: DeferredNode[]) {
  for (const child of children) {
    const skeleton = binding.shape(shapingOperation(pathKey(child), binding.operation, child.queryPath, '{ __typename }')).data;
    if (shaped && skeleton) materialize(shaped, skeleton);
  }
  return shaped;
}

// The key of a deferred block's path-only shaping operation (the block's own key shapes its fields).
const pathKeys = new WeakMap<DeferredNode, object>();
function pathKey(node: DeferredNode): object {
  let key = pathKeys.get(node);
  if (!key) pathKeys.set(node, (key = {}));
  return key;
}

/**
 * Adds to `target` what of `skeleton` it lacks — objects as `{}`, lists as long as the data's,
 * nulls — never the skeleton's own `__typename` (selected only to reach the objects).
 */
function materialize(target: Record<string, unknown>, skeleton: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(skeleton)) {
    if (key === '__typename') continue;
    const existing = target[key];
    if (existing === undefined) target[key] = emptied(value);
    else if (Array.isArray(existing) && Array.isArray(value)) {
      value.forEach((element, i) => {
        if (isRecord(existing[i]) && isRecord(element)) materialize(existing[i], element);
      });
    } else if (isRecord(existing) && isRecord(value)) materialize(existing, value);
  }
}

function emptied(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(emptied);
  if (!isRecord(value)) return value === null ? null : undefined;
  const object: Record<string, unknown> = {};
  materialize(object, value);
  return object;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The fetch ids a plan node holds (what other deferred blocks may depend on). */
function fetchIdsIn(node: PlanNode | undefined): string[] {
  if (!node) return [];
  switch (node.kind) {
    case 'Fetch':
      return node.id !== undefined ? [node.id] : [];
    case 'Sequence':
    case 'Parallel':
      return node.nodes.flatMap(fetchIdsIn);
    case 'Flatten':
      return fetchIdsIn(node.node);
    case 'Condition':
      return [...fetchIdsIn(node.ifClause), ...fetchIdsIn(node.elseClause)];
    case 'Defer':
      return [...fetchIdsIn(node.primary.node), ...node.deferred.flatMap((d) => fetchIdsIn(d.node))];
    default:
      return [];
  }
}

function asGraphQLError(error: unknown): GraphQLError {
  return error instanceof GraphQLError
    ? error
    : new GraphQLError('A deferred part could not be completed.', { originalError: error as Error });
}

/** The parts, queued as they are ready and handed out in that order. */
function createOutbox() {
  const queue: SubsequentResult[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  let used = false;
  return {
    get used() {
      return used;
    },
    push(result: SubsequentResult) {
      used = true;
      queue.push(result);
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
    },
    async *drain(): AsyncGenerator<SubsequentResult> {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!;
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    },
  };
}
