import type { ApolloServerPlugin, GraphQLRequest, GraphQLRequestListener } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import { GatewayErrorCode, operationRejected } from '../../errors.js';
import type { AdmissionStep, GatewayContext, StreamRequest } from '../../pipeline/index.js';
import { DEVELOPER_KEY_HEADER, type DeveloperKeyCheck } from './developer-key.js';
import { sha256 } from './manifest.js';
import type { ManifestStore } from './manifest-store.js';

/** Options of {@link createTrustedDocuments}. */
export interface TrustedDocumentsOptions {
  /**
   * `off`: APQ only. `allow`: manifest ids resolve too, free-form queries allowed.
   * `enforce`: only manifest operations run (developers excepted).
   */
  mode: 'off' | 'allow' | 'enforce';
  /** The published manifest, when a Redis is configured. */
  manifest?: ManifestStore;
  /** Recognises developer keys (`x-tessera-developer-key`). */
  isDeveloper: DeveloperKeyCheck;
  /** Counts lookups: `apq` or `manifest`, and `hit`, `miss` or `register`. */
  record?: (kind: 'apq' | 'manifest', result: 'hit' | 'miss' | 'register') => void;
}

/** Trusted documents as the persisted queries wire them: Apollo's hooks, and `enforce` mode's admission step. */
export interface TrustedDocuments {
  plugin: ApolloServerPlugin<GatewayContext>;
  /** Only in `enforce` mode; runs before cost analysis, so an unlisted operation is refused as such however expensive it is. */
  admit?: AdmissionStep;
  /** What `plugin` does for a request in Apollo's pipeline, for a streamed one (a subscription): developer keys and manifest ids. True: its text came from the manifest. */
  prepareStream(request: StreamRequest, context: GatewayContext): boolean;
}

/**
 * Trusted documents on top of Apollo Server's APQ: recognises developer keys, resolves manifest
 * ids to their text before APQ runs, gives a hash that does not match its text our code, and in
 * `enforce` mode lets only the published operations run (any, for a developer). (What a CDN may
 * keep of a GET by hash, the cache's `Cache-Control` says.)
 */
export function createTrustedDocuments(options: TrustedDocumentsOptions): TrustedDocuments {
  // Operations sent with a developer key, and operations that came from the manifest.
  const trusted = new WeakSet<GatewayContext>();
  const plugin: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart({ request, contextValue }) {
      if (options.isDeveloper(request.http?.headers.get(DEVELOPER_KEY_HEADER))) trusted.add(contextValue);
      const hash = persistedQueryHash(request);
      // Sent with a text that is not its hash: Apollo Server rejects it itself, with no code; the error is given ours below.
      const hashMismatch = hash !== undefined && request.query !== undefined && sha256(request.query) !== hash;
      const fromManifest =
        options.mode !== 'off' && hash !== undefined && request.query === undefined && resolveManifestId(request, hash, options);
      if (fromManifest) trusted.add(contextValue);
      const apqLookup = hash !== undefined && !fromManifest;
      return persistedQueryHooks({ hashMismatch, apqLookup }, options);
    },
  };
  const prepareStream = (request: StreamRequest, context: GatewayContext): boolean => {
    if (options.isDeveloper(request.headers.get(DEVELOPER_KEY_HEADER))) trusted.add(context);
    const hash = persistedQueryHash(request);
    if (options.mode === 'off' || hash === undefined || request.query !== undefined) return false;
    const body = options.manifest?.body(hash);
    options.record?.('manifest', body === undefined ? 'miss' : 'hit');
    if (body === undefined) return false;
    request.query = body;
    trusted.add(context);
    return true;
  };
  if (options.mode !== 'enforce') return { plugin, prepareStream };
  return { plugin, prepareStream, admit: listedOnly(trusted, options.manifest) };
}

/** The `sha256Hash` of the request's `persistedQuery` extension (an APQ hash or a manifest id), if it has one. */
function persistedQueryHash(request: Pick<GraphQLRequest, 'extensions'>): string | undefined {
  const persisted = request.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined;
  return typeof persisted?.sha256Hash === 'string' ? persisted.sha256Hash : undefined;
}

/**
 * A manifest id becomes its text; false when the manifest has no such id. Apollo's
 * `GraphQLRequest` is the caller's to change in `requestDidStart`, before APQ reads it, and this
 * is the one point where an id can become text that Apollo then hashes, parses and caches by its
 * own hash. (Serving manifest bodies through the APQ cache instead would key Apollo's document
 * and plan caches by the id, which a new publication may give another body.) A manifest id need
 * not be the body's hash, so the APQ extension goes: the body runs without APQ's hash check.
 */
function resolveManifestId(request: GraphQLRequest, id: string, options: TrustedDocumentsOptions): boolean {
  const body = options.manifest?.body(id);
  if (body === undefined) {
    if (options.manifest) options.record?.('manifest', 'miss');
    return false;
  }
  const { persistedQuery: _resolved, ...extensions } = request.extensions ?? {};
  request.query = body;
  request.extensions = extensions;
  options.record?.('manifest', 'hit');
  return true;
}

/** What `requestDidStart` found out about a request's persisted query. */
interface PersistedQueryFacts {
  /** A hash sent with a text that is not its hash. */
  hashMismatch: boolean;
  /** A hash that is APQ's to look up (not a manifest id resolved). */
  apqLookup: boolean;
}

/** The request's hooks: a hash mismatch given our code, and each APQ lookup counted. */
function persistedQueryHooks(
  { hashMismatch, apqLookup }: PersistedQueryFacts,
  options: TrustedDocumentsOptions,
): GraphQLRequestListener<GatewayContext> {
  return {
    async didEncounterErrors({ errors }) {
      // Apollo formats the array it hands this hook right after it, and this is the one point
      // where an error Apollo raises itself can get our code before the formatter would log
      // it as unexpected: so the entry is replaced in place, though the array is typed read-only.
      if (hashMismatch && errors.length === 1) {
        (errors as GraphQLError[])[0] = operationRejected(
          GatewayErrorCode.PersistedQueryHashMismatch,
          'The sha256Hash does not match the query text.',
        );
      }
    },
    async willSendResponse({ metrics }) {
      // Apollo says itself what its APQ step found (it never writes a looked-up text back into the request).
      if (apqLookup && !hashMismatch)
        options.record?.('apq', metrics.persistedQueryHit ? 'hit' : metrics.persistedQueryRegister ? 'register' : 'miss');
    },
  };
}

/** `enforce` mode's admission: only an operation of the manifest, or one a developer sent, runs. */
function listedOnly(trusted: WeakSet<GatewayContext>, manifest: ManifestStore | undefined): AdmissionStep {
  return ({ source, contextValue }) => {
    if (trusted.has(contextValue) || manifest?.isTrusted(source)) return;
    throw operationRejected(
      GatewayErrorCode.PersistedQueryNotInList,
      'Only operations from the published persisted query list may run here.',
    );
  };
}
