import { operationTexts, replyWithGraphQLError, type Guard, type Logger } from '@tessera/service-kit';
import { parse, type DocumentNode, type GraphQLError } from 'graphql';
import { LRUCache } from 'lru-cache';
import { Counter, type Registry } from 'prom-client';
import type { GatewayFeature, StreamStep } from '../../pipeline/index.js';
import { withDefaults } from '../../options.js';
import { checkBeforeValidation, DOCUMENT_LIMITS_DEFAULTS, type DocumentLimits } from './before-validation.js';

/** Lexical tokens a document may have unless `MAX_TOKENS` says otherwise (Apollo Server parses with the same bound). */
export const DEFAULT_MAX_TOKENS = 10_000;

/** Options of {@link createDocumentLimits}. */
export interface DocumentLimitsOptions {
  /** @default DOCUMENT_LIMITS_DEFAULTS */
  limits?: Partial<DocumentLimits>;
  /** Lexical tokens a document may have, as Apollo Server parses it (`MAX_TOKENS`). @default 10_000 */
  maxTokens?: number;
  logger: Logger;
  /** Where refusals are counted. */
  registry?: Registry;
}

/**
 * Before Apollo parses and validates a request's documents: each document sent as text is parsed
 * here — once per text and operation name, the verdict remembered — and refused over a shape
 * limit, so validating an abusive document is never paid for (`checkBeforeValidation`). A
 * document that does not parse is Apollo's to refuse, with the position; one sent by hash alone
 * was checked when its text was registered.
 */
export function createDocumentLimits({
  maxTokens = DEFAULT_MAX_TOKENS,
  logger,
  registry,
  ...options
}: DocumentLimitsOptions): GatewayFeature {
  const limits = withDefaults(DOCUMENT_LIMITS_DEFAULTS, options.limits ?? {});
  // By text, then operation name: a client's texts and names are its own, and two levels keep them apart.
  const verdicts = new LRUCache<string, Map<string, GraphQLError | null>>({
    max: 1_000,
    maxSize: 4 * 1_048_576,
    sizeCalculation: (_verdict, text) => text.length + 1,
  });
  const refused = new Counter({
    name: 'graphql_requests_refused_before_validation_total',
    help: 'Requests whose document was refused over a limit before Apollo parsed and validated it, by code.',
    labelNames: ['code'],
    registers: registry ? [registry] : [],
  });
  const verdictFor = (query: string, operationName: string | undefined): GraphQLError | null => {
    let byName = verdicts.get(query);
    if (!byName) verdicts.set(query, (byName = new Map()));
    let verdict = byName.get(operationName ?? '');
    if (verdict === undefined) {
      let document: DocumentNode | undefined;
      try {
        document = parse(query, { maxTokens, noLocation: true });
      } catch {
        // Apollo parses it again and answers GRAPHQL_PARSE_FAILED.
      }
      verdict = document ? checkBeforeValidation(document, operationName, limits) : null;
      byName.set(operationName ?? '', verdict);
    }
    return verdict;
  };
  const guard: Guard = async (request, reply) => {
    for (const { query, operationName } of operationTexts(request)) {
      const refusal = verdictFor(query, operationName);
      if (!refusal) continue;
      refused.inc({ code: String(refusal.extensions.code) });
      logger.info({ code: refusal.extensions.code, operationName: operationName ?? null }, 'graphql request refused before validation');
      return replyWithGraphQLError(request, reply, refusal);
    }
  };
  // A WebSocket's subscribe messages never passed the guard: their text is checked before parsing here.
  const prepareStream: StreamStep = (request) => {
    if (request.checked || request.query === undefined) return undefined;
    const refusal = verdictFor(request.query, request.operationName ?? undefined);
    if (refusal) refused.inc({ code: String(refusal.extensions.code) });
    return refusal ?? undefined;
  };
  return { name: 'document limits', guard, prepareStream };
}
