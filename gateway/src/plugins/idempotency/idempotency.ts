import { createHash } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import { ErrorCode } from '@tessera/service-kit';
import { stringify } from 'safe-stable-stringify';
import { GatewayErrorCode, operationRejected } from '../../errors.js';
import type { AdmissionStep } from '../admission/index.js';

/** The request header (IETF draft "The Idempotency-Key HTTP Header Field"). */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** 1 to 255 visible ASCII characters: a UUID, a ULID, a client's own scheme. */
const VALID_KEY = /^[\x21-\x7e]{1,255}$/;

/** What the gateway notes for a mutation sent with a key; the subgraph calls carry it. */
export interface IdempotencyContext {
  idempotency?: { key: string; fingerprint: string };
}

/** Idempotency keys at the gateway: checked and fingerprinted before planning, and 422 for a reused one. */
export interface IdempotencyFeature<C extends IdempotencyContext> {
  admit: AdmissionStep<C>;
  plugin: ApolloServerPlugin<C>;
}

/**
 * `Idempotency-Key` on mutations: a malformed key is refused (400 `IDEMPOTENCY_KEY_INVALID`);
 * a valid one is forwarded to the subgraphs with a fingerprint of the operation and its input
 * (document, operation name and variables, canonically ordered), where the owning subgraph
 * stores it with its write. The subgraph answers a key reused for a different request with
 * `IDEMPOTENCY_KEY_REUSED`, which the client gets as HTTP 422. Queries ignore the header (they
 * are idempotent already).
 */
export function createIdempotency<C extends IdempotencyContext>(): IdempotencyFeature<C> {
  return {
    admit: ({ request, source, contextValue, operation }, resolved) => {
      if (operation?.operation !== 'mutation') return;
      const key = request.http?.headers.get(IDEMPOTENCY_KEY_HEADER);
      if (key === undefined || key === null) return;
      if (!VALID_KEY.test(key)) {
        throw operationRejected(GatewayErrorCode.IdempotencyKeyInvalid, 'The Idempotency-Key header must be 1 to 255 visible ASCII characters.');
      }
      const fingerprint = createHash('sha256')
        .update(stringify([source, request.operationName ?? null, resolved.variables ?? {}]) ?? '')
        .digest('hex');
      contextValue.idempotency = { key, fingerprint };
    },
    plugin: {
      async requestDidStart() {
        return {
          async willSendResponse({ response, errors }) {
            if (errors?.some((error) => error.extensions?.code === ErrorCode.IdempotencyKeyReused)) response.http.status = 422;
          },
        };
      },
    },
  };
}
