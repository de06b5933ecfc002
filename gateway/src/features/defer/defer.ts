import Negotiator from 'negotiator';
import { Counter, Histogram, type Registry } from 'prom-client';
import { BREAK, visit, type DocumentNode } from 'graphql';
import type { Logger } from '@tessera/service-kit';
import {
  contextOf,
  isDeferred,
  withDeferral,
  type ExecutionRequest,
  type ExecutionResult,
  type GatewayFeature,
  type IncrementalResult,
} from '../../pipeline/index.js';
import { createRequestDeferral, type FormatError } from './deferral.js';

/** The incremental format served: Apollo Client's and Apollo Router's (`deferSpec=20220824`). */
export const DEFER_SPEC = 'multipart/mixed; deferSpec=20220824';
// What Apollo Server weighs a client's Accept against (it picks the format of an answer in parts
// the same way): a client preferring the newer `incrementalSpec=v0.2`, or plain JSON, gets the whole
// answer in one response, as before.
const MEDIA_TYPES = ['multipart/mixed', 'multipart/mixed; incrementalSpec=v0.2', DEFER_SPEC];

/** Whether the client's `Accept` asks for `@defer`'s parts in the format served. */
export function acceptsParts(accept: string | undefined): boolean {
  if (!accept) return false;
  return new Negotiator({ headers: { accept } }).mediaType(MEDIA_TYPES) === DEFER_SPEC;
}

const usesDefer = new WeakMap<DocumentNode, boolean>();

/** Whether the document applies `@defer` anywhere (remembered per parsed document, which Apollo caches). */
export function appliesDefer(document: DocumentNode): boolean {
  let found = usesDefer.get(document);
  if (found === undefined) {
    found = false;
    visit(document, {
      Directive(node) {
        if (node.name.value !== 'defer') return undefined;
        found = true;
        return BREAK;
      },
    });
    usesDefer.set(document, found);
  }
  return found;
}

/** Options of {@link createDefer}. */
export interface DeferOptions {
  formatError: FormatError;
  registry?: Registry;
  /** Where each part after the first is logged (the request log has the request's own line, at its first part). */
  logger?: Logger;
}

/**
 * `@defer`: an operation that applies it, from a client whose `Accept` asks for
 * `multipart/mixed; deferSpec=20220824`, is answered in parts — the primary part as soon as the
 * fields outside deferred fragments are fetched, then each deferred fragment as soon as its own
 * fetches are done (`deferral.ts`). Any other request runs as before: the query planner's
 * `DeferNode`s then run in place and the answer is whole. Listed before deduplication: an answer
 * in parts is never shared.
 */
export function createDefer({ formatError, registry, logger }: DeferOptions): GatewayFeature {
  const registers = registry ? [registry] : [];
  const parts = new Counter({ name: 'graphql_deferred_parts_total', help: 'Parts sent after the first of answers to @defer.', registers });
  const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  const firstPart = new Histogram({
    name: 'graphql_defer_first_part_seconds',
    help: 'From execution to the first part of an answer in parts.',
    buckets,
    registers,
  });
  const lastPart = new Histogram({
    name: 'graphql_defer_last_part_seconds',
    help: 'From execution to the last part of an answer in parts.',
    buckets,
    registers,
  });
  return {
    name: 'defer',
    async execute(request, next) {
      if (isDeferred(request) || !appliesDefer(request.document) || !acceptsParts(acceptOf(request))) return next(request);
      const started = performance.now();
      const deferral = createRequestDeferral({ formatError });
      const result = await next(withDeferral(request, deferral));
      if (!deferral.deferred) return result;
      deferral.completeFirst(result.data);
      firstPart.observe((performance.now() - started) / 1_000);
      const { requestId } = contextOf(request);
      async function* counted() {
        let index = 0;
        for await (const part of deferral.parts()) {
          const ms = performance.now() - started;
          parts.inc();
          if (!part.hasNext) lastPart.observe(ms / 1_000);
          const items = part.incremental ?? [];
          logger?.info(
            {
              requestId,
              part: (index += 1),
              labels: [...new Set(items.flatMap((item) => (item.label === undefined ? [] : [item.label])))],
              items: items.length,
              errors: items.reduce((sum, item) => sum + (item.errors?.length ?? 0), 0),
              ms: Math.round(ms),
              hasNext: part.hasNext,
            },
            'deferred part',
          );
          yield part;
        }
      }
      const incremental: IncrementalResult = { initialResult: { ...result, hasNext: true }, subsequentResults: counted() };
      // Apollo Server (patched) sends a gateway's answer in parts as multipart/mixed.
      return incremental as unknown as ExecutionResult;
    },
  };
}

const acceptOf = (request: ExecutionRequest) => request.request.http?.headers.get('accept') ?? undefined;
