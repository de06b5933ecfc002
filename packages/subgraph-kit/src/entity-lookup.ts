import { GraphQLError } from 'graphql';
import {
  ErrorCode,
  currentRequestId,
  encodePosition,
  ON_PRIMARY,
  propagateTrace,
  READ_POSITION_HEADER,
  REQUEST_ID_HEADER,
  SIGNATURE_HEADER,
  signRequest,
  type SigningKey,
} from '@tessera/service-kit';

/** Options of {@link createEntityLookup}. */
export interface EntityLookupOptions {
  /** GraphQL URL of the subgraph that owns the entities. */
  url: string;
  /** Requests are signed with the first key, as the gateway signs them (none in development without keys). */
  keys: SigningKey[] | undefined;
  /** @default 5_000 */
  timeoutMs?: number;
  /** The request's own deadline: the lookup stops with it. */
  signal?: AbortSignal;
}

/** Asks another subgraph which entities exist. */
export interface EntityLookup {
  /** Of these ids of `typename`, the ones its owning subgraph does not know. */
  missing(typename: string, ids: string[]): Promise<string[]>;
}

interface LookupResult {
  data?: { _entities?: unknown[] } | null;
  errors?: Array<{ extensions?: { code?: unknown } }>;
}

const QUERY = 'query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }';

/**
 * A write's precondition reads the owner's primary: an entity created a moment ago (by this
 * caller or another) exists there before any replica has replayed it.
 */
const ON_PRIMARY_HEADERS = { [READ_POSITION_HEADER]: encodePosition(ON_PRIMARY) };

/**
 * Referential integrity across databases: a subgraph that stores another's ids checks them
 * against the owner with a signed `_entities` request — the owner's own rule for what exists,
 * through the door the gateway uses, with no database shared.
 */
export function createEntityLookup({ url, keys, timeoutMs = 5_000, signal }: EntityLookupOptions): EntityLookup {
  const path = new URL(url).pathname + new URL(url).search;
  return {
    async missing(typename, ids) {
      const body = JSON.stringify({ query: QUERY, variables: { r: ids.map((id) => ({ __typename: typename, id })) } });
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...ON_PRIMARY_HEADERS };
      if (keys?.[0]) headers[SIGNATURE_HEADER] = signRequest({ method: 'POST', path, body, headers: ON_PRIMARY_HEADERS }, keys[0]);
      const requestId = currentRequestId();
      if (requestId) headers[REQUEST_ID_HEADER] = requestId;
      propagateTrace(headers);
      const timeout = AbortSignal.timeout(timeoutMs);
      const answer = await fetch(url, {
        method: 'POST',
        headers,
        body,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      }).then(
        async (response) => ({ response, result: (await response.json()) as LookupResult }),
        (error: unknown) => {
          throw upstreamUnavailable(typename, url, error);
        },
      );
      const { response, result } = answer;
      const found = result.data?._entities;
      // Only the owner's "no such entity" means missing; any other failure is not an answer.
      const failure = result.errors?.find((error) => error.extensions?.code !== 'NOT_FOUND');
      if (!response.ok || failure || !Array.isArray(found) || found.length !== ids.length) {
        throw upstreamUnavailable(
          typename,
          url,
          new Error(`HTTP ${response.status}${failure ? `, ${String(failure.extensions?.code)}` : ''}`),
        );
      }
      return ids.filter((_, i) => found[i] === null);
    },
  };
}

/** The owner did not answer usably: a coded error for the client (no URL in it), the cause for the log. */
function upstreamUnavailable(typename: string, url: string, cause: unknown): GraphQLError {
  return new GraphQLError(`Could not check the ${typename} with the service that owns it; nothing was written. Try again.`, {
    extensions: { code: ErrorCode.UpstreamUnavailable },
    originalError: Object.assign(new Error(`${typename} lookup at ${url} failed`), { cause }),
  });
}
