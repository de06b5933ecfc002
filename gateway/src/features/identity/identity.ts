import { ANONYMOUS, ErrorCode, errorBody, type HttpReply, type Identity, type RawBodyRequest } from '@tessera/service-kit';
import type { GatewayFeature } from '../../pipeline/index.js';
import { InvalidTokenError, type TokenVerifier } from './token-verifier.js';

/** Authentication as the gateway wires it: the guard, and the identity it found for each request. */
export interface IdentityFeature extends GatewayFeature {
  /** Who a request acts for, once the guard has run (anonymous without a token). */
  readonly identityOf: (request: object) => Identity;
}

/**
 * Authenticates every GraphQL request before Apollo sees it: no `Authorization` header is
 * anonymous; `Bearer <token>` is verified (`verify`, see `createTokenVerifier`); anything else —
 * another scheme, a token that does not verify, any token when no keys are configured — is
 * refused with 401 UNAUTHENTICATED and no data, never served as anonymous.
 */
export function createIdentity(verify: TokenVerifier | undefined): IdentityFeature {
  const identities = new WeakMap<object, Identity>();
  const guard = async (request: RawBodyRequest, reply: HttpReply) => {
    const header = request.headers.authorization;
    if (header === undefined) return;
    try {
      const [scheme, token, ...rest] = header.trim().split(/\s+/);
      if (scheme?.toLowerCase() !== 'bearer' || !token || rest.length)
        throw new InvalidTokenError('Send the token as "Authorization: Bearer <token>".');
      if (!verify) throw new InvalidTokenError('This gateway verifies no tokens (no JWT keys are configured).');
      identities.set(request, await verify(token));
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      return reply
        .code(401)
        .header('www-authenticate', `Bearer error="invalid_token", error_description="${error.message.replace(/"/g, "'")}"`)
        .send(errorBody(error.message, ErrorCode.Unauthenticated));
    }
  };
  return { name: 'identity', guard, identityOf: (request) => identities.get(request) ?? ANONYMOUS };
}
