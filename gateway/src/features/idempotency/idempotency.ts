import { createHash } from 'node:crypto';
import { ErrorCode } from '@tessera/service-kit';
import { OperationTypeNode } from 'graphql';
import { stringify } from 'safe-stable-stringify';
import { GatewayErrorCode, operationRejected } from '../../errors.js';
import type { AdmissionStep, GatewayContext, GatewayFeature } from '../../pipeline/index.js';
import type { IdempotencyNote } from '../../upstream/index.js';
import type { KeyClaims } from './key-claims.js';

/** The request header (IETF draft "The Idempotency-Key HTTP Header Field"). */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** The subgraphs say the same (`IDEMPOTENCY_KEY_REUSED`). */
const KEY_REUSED = 'This Idempotency-Key was already used with a different operation or input; use a new key for a new request.';

/** 1 to 255 visible ASCII characters: a UUID, a ULID, a client's own scheme. */
const VALID_KEY = /^[\x21-\x7e]{1,255}$/;

/** Idempotency keys at the gateway, and the key each operation carries to the subgraphs. */
export interface IdempotencyFeature extends GatewayFeature {
  /** The note of an admitted mutation sent with a key (the subgraph data source adds it to the mutation's fetches). */
  readonly noteOf: (context: GatewayContext) => IdempotencyNote | undefined;
}

/**
 * `Idempotency-Key` on mutations: a malformed key is refused (400 `IDEMPOTENCY_KEY_INVALID`);
 * a valid one belongs to the caller and to one operation — the fingerprint of the document,
 * operation name and variables (canonically ordered) it first came with. The same key with any
 * other operation or input (another mutation, the same one under an alias) is refused with 422
 * `IDEMPOTENCY_KEY_REUSED` before anything runs (`claims`, shared by the replicas). The key and
 * fingerprint go to the subgraphs, where each stores the key with its own write and answers a
 * retry with the stored response. Queries ignore the header (they are idempotent already).
 */
export function createIdempotency({ claims }: { claims: KeyClaims }): IdempotencyFeature {
  const notes = new WeakMap<GatewayContext, IdempotencyNote>();
  const admit: AdmissionStep = async ({ request, source, contextValue, operation }, resolved) => {
    if (operation?.operation !== OperationTypeNode.MUTATION) return;
    const key = request.http?.headers.get(IDEMPOTENCY_KEY_HEADER);
    if (key === undefined || key === null) return;
    if (!VALID_KEY.test(key)) {
      throw operationRejected(
        GatewayErrorCode.IdempotencyKeyInvalid,
        'The Idempotency-Key header must be 1 to 255 visible ASCII characters.',
      );
    }
    const fingerprint = createHash('sha256')
      .update(stringify([source, request.operationName ?? null, resolved.variables ?? {}]) ?? '')
      .digest('hex');
    if ((await claims.claim(contextValue.identity.sub, key, fingerprint)) === 'other') {
      throw operationRejected(ErrorCode.IdempotencyKeyReused, KEY_REUSED, { http: { status: 422 } });
    }
    notes.set(contextValue, { key, fingerprint });
  };
  return {
    name: 'idempotency',
    admit,
    // A subgraph refusing a key it holds for another input answers 200 with the error: the client gets 422.
    plugins: [
      {
        async requestDidStart() {
          return {
            async willSendResponse({ response, errors }) {
              if (errors?.some((error) => error.extensions?.code === ErrorCode.IdempotencyKeyReused)) response.http.status = 422;
            },
          };
        },
      },
    ],
    noteOf: (context) => notes.get(context),
  };
}
