import { ANONYMOUS, ErrorCode, errorBody, type HttpReply, type Identity, type RawBodyRequest } from '@tessera/service-kit';
import type { GatewayFeature } from '../../pipeline/index.js';
import { InvalidTokenError, type TokenVerifier, type VerifiedIdentity } from './token-verifier.js';

/** Who a request acts for: anonymous, or what a verified token says (and until when). */
export type CallerIdentity = Identity | VerifiedIdentity;

/** Authentication as the gateway wires it: the guard, and the identity it found for each request. */
export interface IdentityFeature extends GatewayFeature {
  /** Who a request acts for, once the guard has run (anonymous without a token). */
  identityOf: (request: object) => CallerIdentity;
  /**
   * What an `Authorization` value says — for a credential that did not come in an HTTP request's
   * header (a WebSocket's `connection_init`): anonymous without one; {@link InvalidTokenError} for
   * anything but a verified bearer token.
   */
  authenticate: (authorization: string | undefined) => Promise<CallerIdentity>;
}

/**
 * Authenticates every GraphQL request before Apollo sees it: no `Authorization` header is
 * anonymous; `Bearer <token>` is verified (`verify`, see `createTokenVerifier`); anything else —
 * another scheme, a token that does not verify, any token when no keys are configured — is
 * refused with 401 UNAUTHENTICATED and no data, never served as anonymous.
 */
export function createIdentity(verify: TokenVerifier | undefined): IdentityFeature {
  const identities = new WeakMap<object, CallerIdentity>();
  const authenticate = async (header: string | undefined): Promise<CallerIdentity> => {
    if (header === undefined) return ANONYMOUS;
    const [scheme, token, ...rest] = header.trim().split(/\s+/);
    if (scheme?.toLowerCase() !== 'bearer' || !token || rest.length)
      throw new InvalidTokenError('Send the token as "Authorization: Bearer <token>".');
    if (!verify) throw new InvalidTokenError('This gateway verifies no tokens (no JWT keys are configured).');
    return verify(token);
  };
  const guard = async (request: RawBodyRequest, reply: HttpReply) => {
    try {
      identities.set(request, await authenticate(request.headers.authorization));
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      return reply
        .code(401)
        .header('www-authenticate', `Bearer error="invalid_token", error_description="${error.message.replace(/"/g, "'")}"`)
        .send(errorBody(error.message, ErrorCode.Unauthenticated));
    }
  };
  return { name: 'identity', guard, identityOf: (request) => identities.get(request) ?? ANONYMOUS, authenticate };
}

/** When a caller's token stops being accepted (epoch ms); none for an anonymous caller. */
export function expiresAtOf(identity: CallerIdentity): number | undefined {
  return 'expiresAt' in identity ? identity.expiresAt : undefined;
}
