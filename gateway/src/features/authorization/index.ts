/**
 * Authorization declared in the subgraph schemas (`@authenticated`, `@requiresScopes`), read
 * from the supergraph and applied to an operation before it is planned. The filter and the response are pure (no server); `authorization.ts` wires them in.
 */
export {
  readAuthorizationRequirements,
  satisfies,
  combine,
  NO_REQUIREMENTS,
  type AuthorizationRequirements,
  type Requirement,
} from './requirements.js';
export { filterOperation, type Caller, type FilteredOperation, type ResponsePath } from './filter.js';
export { insertNulls, dataOfNothing, removePlaceholders, unauthorizedError } from './response.js';
export { createAuthorization, type AuthorizationFeature } from './authorization.js';
