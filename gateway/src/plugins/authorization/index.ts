export { createAuthorization, type AuthorizationContext, type AuthorizationFeature, type AuthorizationOptions } from './plugin.js';
