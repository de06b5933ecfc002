import {
  createSignatureVerifier,
  decodeIdentity,
  ErrorCode,
  errorBody,
  IDENTITY_HEADER,
  SIGNATURE_HEADER,
  SIGNED_HEADERS,
  type HttpReply,
  type Identity,
  type Logger,
  type NonceStore,
  type RawBodyRequest,
  type SignedHeader,
  type SigningKey,
} from '@tessera/service-kit';

/** Options of {@link createGatewayGuard}. */
export interface GatewayGuardOptions {
  /** The keys gateway requests are signed with; none (development only) serves any caller. */
  keys: SigningKey[] | undefined;
  /** Where accepted nonces are remembered: shared by the replicas (Redis) or this process's own. @default this process's memory */
  nonces?: NonceStore;
  logger: Logger;
}

/**
 * The subgraph answers the gateway only: a GraphQL request must carry a valid, fresh, unused
 * signature by one of `keys` (over its method, path, body, forwarded identity, time budget and read position),
 * or it is refused with 401 before any GraphQL work. `/health` and `/ready` are not guarded.
 * Without keys (development only) any caller is served, but a forwarded identity must still decode.
 */
export function createGatewayGuard({ keys, nonces, logger }: GatewayGuardOptions) {
  const verify = keys && createSignatureVerifier({ keys, ...(nonces && { nonces }) });
  return async (request: RawBodyRequest, reply: HttpReply) => {
    const identity = header(request, IDENTITY_HEADER);
    const problem = verify
      ? await verify(
          { method: request.method, path: request.url, body: request.rawBody, headers: signedHeaders(request) },
          header(request, SIGNATURE_HEADER),
        )
      : decodes(identity)
        ? null
        : 'malformed identity';
    if (problem === null) return;
    logger.warn({ problem, remoteAddress: request.ip }, 'refused a request the gateway did not sign');
    return reply
      .code(401)
      .header('www-authenticate', 'Signature realm="tessera-gateway"')
      .send(errorBody('Only the gateway may call this service.', ErrorCode.Unauthenticated));
  };
}

/** The identity a guarded request acts for (its header was checked by the guard). */
export function identityOf(request: RawBodyRequest): Identity {
  return decodeIdentity(header(request, IDENTITY_HEADER));
}

function signedHeaders(request: RawBodyRequest): Partial<Record<SignedHeader, string>> {
  const headers: Partial<Record<SignedHeader, string>> = {};
  for (const name of SIGNED_HEADERS) {
    const value = header(request, name);
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}

function header(request: RawBodyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function decodes(identity: string | undefined): boolean {
  try {
    decodeIdentity(identity);
    return true;
  } catch {
    return false;
  }
}
