export { createTokenVerifier, InvalidTokenError, type TokenKeys, type TokenVerifierOptions } from './verifier.js';
export { createAuthenticationGuard } from './authenticate.js';
