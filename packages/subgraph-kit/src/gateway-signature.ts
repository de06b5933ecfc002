import {
  createSignatureVerifier,
  decodeIdentity,
  ErrorCode,
  errorBody,
  IDENTITY_HEADER,
  SIGNATURE_HEADER,
  type HttpReply,
  type Identity,
  type Logger,
  type RawBodyRequest,
  type SigningKey,
} from '@tessera/service-kit';

/**
 * The subgraph answers the gateway only: a GraphQL request must carry a valid, fresh, unused
 * signature by one of `keys` (over its method, path, body and forwarded identity), or it is
 * refused with 401 before any GraphQL work. `/health` and `/ready` are not guarded. Without
 * keys (development only) any caller is served, but a forwarded identity must still decode.
 */
export function createGatewayGuard({ keys, logger }: { keys: SigningKey[] | undefined; logger: Logger }) {
  const verify = keys && createSignatureVerifier({ keys });
  return async (request: RawBodyRequest, reply: HttpReply) => {
    const identity = header(request, IDENTITY_HEADER);
    const problem = verify
      ? verify({ method: request.method, path: request.url, body: request.rawBody, identity }, header(request, SIGNATURE_HEADER))
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
