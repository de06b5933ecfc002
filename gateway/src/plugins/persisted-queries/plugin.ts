import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { sha256 } from './manifest.js';
import type { ManifestStore } from './manifest-store.js';

/** Codes of persisted-query errors the gateway adds (Apollo's PERSISTED_QUERY_NOT_FOUND stays as is). */
export const PersistedQueryErrorCode = {
  /** `enforce` mode: the operation is not in the published manifest. */
  NotInList: 'PERSISTED_QUERY_NOT_IN_LIST',
  /** The request's `sha256Hash` is not the hash of its query text. */
  HashMismatch: 'PERSISTED_QUERY_HASH_MISMATCH',
} as const;

/** What the plugin reads from and leaves in the request context. */
export interface PersistedQueryContext {
  /** The request carried a valid developer credential (free-form queries allowed in `enforce`). */
  developer?: boolean;
  /** The operation came from the published manifest. */
  fromManifest?: boolean;
}

/** Options of {@link createPersistedQueriesPlugin}. */
export interface PersistedQueriesOptions {
  /**
   * `off`: APQ only. `allow`: manifest ids resolve too, free-form queries allowed.
   * `enforce`: only manifest operations run (developers excepted). @default 'off'
   */
  mode: 'off' | 'allow' | 'enforce';
  /** The published manifest, when a Redis is configured. */
  manifest?: ManifestStore;
  /** `max-age` for GET requests by hash that succeed, so a CDN may cache them. @default 60 */
  getMaxAgeSeconds: number;
}

function persistedQueryError(code: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status: 400 } } });
}

/**
 * Trusted documents on top of Apollo Server's APQ: resolves manifest ids to their text
 * before APQ runs, rejects non-manifest operations in `enforce` mode (after validation,
 * before planning), and marks successful GET-by-hash queries cacheable by a CDN.
 */
export function createPersistedQueriesPlugin(options: PersistedQueriesOptions): ApolloServerPlugin<PersistedQueryContext> {
  return {
    async requestDidStart({ request, contextValue }) {
      const persisted = request.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined;
      const hash = typeof persisted?.sha256Hash === 'string' ? persisted.sha256Hash : undefined;
      const cacheableGet = request.http?.method === 'GET' && hash !== undefined;
      // Apollo Server rejects this itself, with no code; the error is given ours below.
      const hashMismatch = hash !== undefined && request.query !== undefined && sha256(request.query) !== hash;
      if (options.mode !== 'off' && hash !== undefined && request.query === undefined) {
        const body = options.manifest?.body(hash);
        if (body !== undefined) {
          // A manifest id need not be the body's hash: run the body without APQ's hash check.
          const { persistedQuery: _resolved, ...extensions } = request.extensions ?? {};
          request.query = body;
          request.extensions = extensions;
          contextValue.fromManifest = true;
        }
      }

      return {
        async didEncounterErrors({ errors }) {
          // Apollo formats the very array it passes here, so replacing the entry changes the answer.
          if (hashMismatch && errors.length === 1) {
            (errors as GraphQLError[])[0] = persistedQueryError(PersistedQueryErrorCode.HashMismatch, 'The sha256Hash does not match the query text.');
          }
        },
        async didResolveOperation({ source }) {
          if (options.mode !== 'enforce' || contextValue.developer || contextValue.fromManifest) return;
          if (!options.manifest?.isTrusted(source)) {
            throw persistedQueryError(PersistedQueryErrorCode.NotInList, 'Only operations from the published persisted query list may run here.');
          }
        },
        async willSendResponse({ response, operation, errors }) {
          if (cacheableGet && operation?.operation === 'query' && !errors?.length) {
            response.http.headers.set('cache-control', `public, max-age=${options.getMaxAgeSeconds}`);
          }
        },
      };
    },
  };
}
