import type { ApolloServerPlugin } from '@apollo/server';
import type { Identity } from '@tessera/service-kit';
import type { GraphQLError } from 'graphql';
import { GatewayErrorCode, operationRejected } from '../../errors.js';
import type { AdmissionStep } from '../admission/index.js';
import type { DeveloperKeyCheck } from './developer-key.js';
import { DEVELOPER_KEY_HEADER } from './developer-key.js';
import { sha256 } from '../../manifest/index.js';
import type { ManifestStore } from './manifest-store.js';

/** What the persisted-query parts note in the request context. */
export interface PersistedQueryContext {
  /** The request carried a valid developer key (free-form queries allowed in `enforce`). */
  developer?: boolean;
  /** The operation came from the published manifest. */
  fromManifest?: boolean;
}

/** Options of {@link createPersistedQueriesPlugin} and {@link createTrustedDocumentsStep}. */
export interface TrustedDocumentsOptions {
  /**
   * `off`: APQ only. `allow`: manifest ids resolve too, free-form queries allowed.
   * `enforce`: only manifest operations run (developers excepted). @default 'off'
   */
  mode: 'off' | 'allow' | 'enforce';
  /** The published manifest, when a Redis is configured. */
  manifest?: ManifestStore;
  /** Recognises developer keys (`x-tessera-developer-key`). */
  isDeveloper: DeveloperKeyCheck;
  /** Counts lookups: `apq` or `manifest`, and `hit`, `miss` or `register`. */
  record?: (kind: 'apq' | 'manifest', result: 'hit' | 'miss' | 'register') => void;
}

/**
 * Trusted documents on top of Apollo Server's APQ: recognises developer keys, resolves
 * manifest ids to their text before APQ runs, and gives a hash that does not match its text our
 * code. (What a CDN may keep of a GET by hash, the cache's `Cache-Control` says.)
 */
export function createPersistedQueriesPlugin(options: TrustedDocumentsOptions): ApolloServerPlugin<PersistedQueryContext> {
  return {
    async requestDidStart({ request, contextValue }) {
      contextValue.developer = options.isDeveloper(request.http?.headers.get(DEVELOPER_KEY_HEADER));
      const persisted = request.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined;
      const hash = typeof persisted?.sha256Hash === 'string' ? persisted.sha256Hash : undefined;
      // Sent with its text: an APQ registration; without: a lookup.
      const persistedQueryText = request.query !== undefined;
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
          options.record?.('manifest', 'hit');
        } else if (options.manifest) options.record?.('manifest', 'miss');
      }
      const apqLookup = hash !== undefined && !contextValue.fromManifest;

      return {
        async didEncounterErrors({ errors }) {
          // Apollo formats the very array it passes here, so replacing the entry changes the answer.
          if (hashMismatch && errors.length === 1) {
            (errors as GraphQLError[])[0] = operationRejected(
              GatewayErrorCode.PersistedQueryHashMismatch,
              'The sha256Hash does not match the query text.',
            );
          }
        },
        async willSendResponse({ errors }) {
          if (apqLookup && !hashMismatch) {
            const unknown = errors?.some((error) => error.extensions?.code === GatewayErrorCode.PersistedQueryNotFound);
            options.record?.('apq', request.query === undefined || unknown ? 'miss' : persistedQueryText ? 'register' : 'hit');
          }
        },
      };
    },
  };
}

/**
 * `enforce` mode's admission step: only operations of the published manifest run (or any,
 * for a developer). Runs before cost analysis, so an unlisted operation is refused as such
 * however expensive it is.
 */
export function createTrustedDocumentsStep(options: TrustedDocumentsOptions): AdmissionStep<PersistedQueryContext> | undefined {
  if (options.mode !== 'enforce') return undefined;
  return ({ source, contextValue }) => {
    if (contextValue.developer || contextValue.fromManifest || options.manifest?.isTrusted(source)) return;
    throw operationRejected(
      GatewayErrorCode.PersistedQueryNotInList,
      'Only operations from the published persisted query list may run here.',
    );
  };
}
