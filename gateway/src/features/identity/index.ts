/** Who a request acts for: bearer tokens verified (jose) and the guard that turns one into an identity. */
export {
  createTokenVerifier,
  InvalidTokenError,
  TOKEN_VERIFIER_DEFAULTS,
  type TokenKeys,
  type TokenVerifier,
  type TokenVerifierOptions,
  type VerifiedIdentity,
} from './token-verifier.js';
export { createIdentity, expiresAtOf, type CallerIdentity, type IdentityFeature } from './identity.js';
