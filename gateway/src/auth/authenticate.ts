import { ANONYMOUS, ErrorCode, errorBody, type HttpReply, type Identity, type RawBodyRequest } from '@tessera/service-kit';
import { InvalidTokenError } from './verifier.js';

/**
 * An HTTP guard that authenticates every GraphQL request before Apollo sees it: no
 * `Authorization` header is anonymous; `Bearer <token>` is verified; anything else — another
 * scheme, a token that does not verify — is refused with 401 UNAUTHENTICATED and no data,
 * never served as anonymous. The identity is kept for the request's context.
 */
export function createAuthenticationGuard(verify: ((token: string) => Promise<Identity>) | undefined) {
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
  return { guard, identityOf: (request: object): Identity => identities.get(request) ?? ANONYMOUS };
}
