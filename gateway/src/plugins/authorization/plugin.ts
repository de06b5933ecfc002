import { createHash } from 'node:crypto';
import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestContextDidResolveOperation } from '@apollo/server';
import { composeKey, visibilityPart, type Identity } from '@tessera/service-kit';
import { print, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import {
  dataOfNothing,
  filterOperation,
  insertNulls,
  unauthorizedError,
  type AuthorizationRequirements,
  type Caller,
  type FilteredOperation,
} from '../../authorization/index.js';
import { GatewayErrorCode, operationRejected } from '../../errors.js';
import type { AdmissionStep } from '../admission/index.js';

/** What authorization reads from, and leaves in, the request context. */
export interface AuthorizationContext {
  /** Who the request acts for (the authentication guard's verdict). */
  identity: Identity;
  /** What was taken out of the operation for this caller, when anything was. */
  authorization?: FilteredOperation & { queryHash?: string };
}

/** Options of {@link createAuthorization}. */
export interface AuthorizationOptions {
  /** The `@authenticated` / `@requiresScopes` of the supergraph being served. */
  requirements: () => AuthorizationRequirements;
}

/** Authorization as the gateway wires it: an admission step and a plugin for the response. */
export interface AuthorizationFeature {
  /** Takes out of the operation what the caller may not see; refuses a mutation outright. Runs before the query plan. */
  admit: AdmissionStep<AuthorizationContext>;
  /** Answers an operation nothing of which remains, and puts the nulls and errors of what was taken out into the response. */
  plugin: ApolloServerPlugin<AuthorizationContext>;
}

/**
 * Authorization declared in the subgraph schemas, enforced by the gateway before planning,
 * with Apollo Router's semantics: unauthorized fields are removed, the rest executes, and
 * each removed place gets an `UNAUTHORIZED_FIELD_OR_TYPE` error; a mutation with an
 * unauthorized root field runs nothing. Filtered operations are cached per document and caller.
 */
export function createAuthorization({ requirements }: AuthorizationOptions): AuthorizationFeature {
  const filtered = new WeakMap<OperationDefinitionNode, LRUCache<string, FilteredOperation & { queryHash?: string }>>();
  const filter = (
    request: GraphQLRequestContextDidResolveOperation<AuthorizationContext>,
    operation: OperationDefinitionNode,
    identity: Identity,
  ) => {
    let byCaller = filtered.get(operation);
    if (!byCaller) filtered.set(operation, (byCaller = new LRUCache({ max: 64 })));
    // What the caller may see decides the result: signed in or not, and the scopes.
    const key = composeKey([visibilityPart(identity)]);
    let result = byCaller.get(key);
    if (!result) {
      const caller: Caller = { authenticated: identity.sub !== undefined, scopes: identity.scopes };
      const outcome = filterOperation(request.schema, request.document, operation, requirements(), caller);
      result = { ...outcome, ...(outcome.document && outcome.document !== request.document && { queryHash: hashOf(outcome.document) }) };
      byCaller.set(key, result);
    }
    return result;
  };

  const admit: AdmissionStep<AuthorizationContext> = (request, { operation }) => {
    const { identity } = request.contextValue;
    const result = filter(request, operation, identity);
    if (result.unauthorized.length === 0) return;
    if (operation.operation === 'mutation') {
      const fields = result.unauthorized.map((path) => path.join('.')).join(', ');
      throw operationRejected(GatewayErrorCode.UnauthorizedFieldOrType, `Unauthorized field or type: ${fields}. Nothing was run.`, {
        http: { status: identity.sub === undefined ? 401 : 403 },
      });
    }
    request.contextValue.authorization = result;
    if (result.document && result.queryHash) {
      // The query planner plans, and caches plans by, the request's document and hash.
      const writable = request as { document: DocumentNode; queryHash: string };
      writable.document = result.document;
      writable.queryHash = result.queryHash;
    }
  };

  const plugin: ApolloServerPlugin<AuthorizationContext> = {
    async requestDidStart() {
      return {
        async responseForOperation({ contextValue }) {
          const result = contextValue.authorization;
          if (!result || result.document) return null;
          return {
            http: { status: 200, headers: new HeaderMap() },
            body: { kind: 'single', singleResult: { data: dataOfNothing(result.nulls, result.dataIsNull) } },
          };
        },
        async willSendResponse({ response, contextValue }) {
          const result = contextValue.authorization;
          if (!result || response.body.kind !== 'single') return;
          const single = response.body.singleResult;
          if (single.data) insertNulls(single.data as Record<string, unknown>, result.nulls);
          if (result.dataIsNull) single.data = null;
          single.errors = [...result.unauthorized.map(unauthorizedError), ...(single.errors ?? [])];
        },
      };
    },
  };
  return { admit, plugin };
}

function hashOf(document: DocumentNode): string {
  return createHash('sha256').update(print(document)).digest('hex');
}
