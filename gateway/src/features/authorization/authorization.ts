import { createHash } from 'node:crypto';
import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestContextDidResolveOperation } from '@apollo/server';
import { composeKey, visibilityPart, type Identity } from '@tessera/service-kit';
import { OperationTypeNode, print, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { GatewayErrorCode, operationRejected } from '../../errors.js';
import {
  contextOf,
  type AdmissionStep,
  type EventResult,
  type ExecutionStep,
  type GatewayContext,
  type GatewayFeature,
  type SubsequentResult,
} from '../../pipeline/index.js';
import { filterOperation, type Caller, type FilteredOperation, type ResponsePath } from './filter.js';
import { NO_REQUIREMENTS, readAuthorizationRequirements } from './requirements.js';
import { dataOfNothing, insertNulls, removePlaceholders, unauthorizedError } from './response.js';

/** What was taken out of an operation for a caller, and the hash of the document that runs instead. */
type Filtered = FilteredOperation & { queryHash?: string };

/** Authorization as the gateway wires it, and whether it took something out of an operation. */
export interface AuthorizationFeature extends GatewayFeature {
  /** Whether something of the operation was taken out for its caller (its answer carries nulls and errors). */
  readonly filtered: (context: GatewayContext) => boolean;
}

/**
 * Authorization declared in the subgraph schemas (`@authenticated`, `@requiresScopes`), enforced
 * by the gateway before planning, with Apollo Router's semantics: unauthorized fields are
 * removed, the rest executes, and each removed place gets an `UNAUTHORIZED_FIELD_OR_TYPE` error;
 * a mutation with an unauthorized root field runs nothing. Filtered operations are cached per
 * document and what the caller may see.
 */
export function createAuthorization(): AuthorizationFeature {
  let requirements = NO_REQUIREMENTS;
  const outcomes = new WeakMap<GatewayContext, Filtered>();
  const filter = createFilterCache(() => requirements);

  const admit: AdmissionStep = (request, { operation }) => {
    const { identity } = request.contextValue;
    const result = filter(request, operation, identity);
    if (result.unauthorized.length === 0) return;
    if (operation.operation === OperationTypeNode.MUTATION) {
      const fields = result.unauthorized.map((path) => path.join('.')).join(', ');
      throw operationRejected(GatewayErrorCode.UnauthorizedFieldOrType, `Unauthorized field or type: ${fields}. Nothing was run.`, {
        http: { status: identity.sub === undefined ? 401 : 403 },
      });
    }
    outcomes.set(request.contextValue, result);
  };

  // Apollo Gateway plans (and caches plans by) the document and hash it is handed: the filtered
  // ones, in a request of its own; Apollo's request keeps what the client sent.
  const execute: ExecutionStep = (request, next) => {
    const result = outcomes.get(contextOf(request));
    if (!result?.document || !result.queryHash) return next(request);
    return next({ ...request, document: result.document, queryHash: result.queryHash });
  };

  return {
    name: 'authorization',
    admit,
    execute,
    plugins: [responsePlugin((context) => outcomes.get(context))],
    onSupergraph: ({ sdl }) => (requirements = readAuthorizationRequirements(sdl)),
    filtered: (context) => outcomes.has(context),
    // Each event of a subscription is answered in the shape the client asked for, as any response is.
    shapeEvent: (context, result) => {
      const outcome = outcomes.get(context);
      return outcome ? completed(outcome, result) : result;
    },
  };
}

/** The filtered operation for an operation and a caller, worked out once per document and what the caller may see. */
function createFilterCache(requirements: () => ReturnType<typeof readAuthorizationRequirements>) {
  const filtered = new WeakMap<OperationDefinitionNode, LRUCache<string, Filtered>>();
  return (request: GraphQLRequestContextDidResolveOperation<GatewayContext>, operation: OperationDefinitionNode, identity: Identity) => {
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
}

/** Answers an operation nothing of which remains, and puts the nulls and errors of what was taken out into the response. */
function responsePlugin(outcomeOf: (context: GatewayContext) => Filtered | undefined): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async responseForOperation({ contextValue }) {
          const result = outcomeOf(contextValue);
          if (!result || result.document) return null;
          return {
            http: { status: 200, headers: new HeaderMap() },
            body: { kind: 'single', singleResult: { data: dataOfNothing(result.nulls, result.dataIsNull) } },
          };
        },
        async willSendResponse({ response, contextValue }) {
          const result = outcomeOf(contextValue);
          if (!result) return;
          if (response.body.kind === 'single') response.body.singleResult = completed(result, response.body.singleResult);
          else {
            // An answer in parts (`@defer`): the errors with the first part, each null in the part whose objects hold it.
            response.body.initialResult = completed(result, response.body.initialResult);
            // Tessera's parts are deferSpec=20220824's (pipeline/incremental.ts), whatever else Apollo's type allows.
            const parts = response.body.subsequentResults as AsyncIterable<SubsequentResult>;
            response.body.subsequentResults = completedParts(result, parts) as typeof response.body.subsequentResults;
          }
        },
      };
    },
  };
}

/** The parts after the first of an answer in parts, each item with the nulls and placeholders under its path dealt with as {@link completed} does. */
async function* completedParts(outcome: Filtered, parts: AsyncIterable<SubsequentResult>): AsyncGenerator<SubsequentResult> {
  for await (const part of parts) {
    if (!part.incremental) {
      yield part;
      continue;
    }
    const incremental = part.incremental.map((item) => {
      if (!item.data || typeof item.data !== 'object') return item;
      const data = structuredClone(item.data);
      removePlaceholders(data, placesUnder(outcome.placeholders, item.path, 0));
      insertNulls(data, placesUnder(outcome.nulls, item.path, 1));
      return { ...item, data };
    });
    yield { ...part, incremental };
  }
}

/** The places (`@`: any index) at or under `path`, relative to it; at least `depth` steps under it. */
function placesUnder(places: ResponsePath[], path: ReadonlyArray<string | number>, depth: number): ResponsePath[] {
  return places.flatMap((place) =>
    place.length >= path.length + depth && path.every((step, i) => (place[i] === '@' ? typeof step === 'number' : place[i] === step))
      ? [place.slice(path.length)]
      : [],
  );
}

/** A result of the filtered operation in the shape the client asked for: placeholders out, nulls and an error where something was taken out. */
function completed<R extends EventResult>(outcome: Filtered, result: R): R {
  const data = result.data ? structuredClone(result.data) : result.data;
  if (data) {
    removePlaceholders(data, outcome.placeholders);
    insertNulls(data, outcome.nulls);
  }
  return {
    ...result,
    data: outcome.dataIsNull ? null : data,
    errors: [...outcome.unauthorized.map(unauthorizedError), ...(result.errors ?? [])],
  };
}

function hashOf(document: DocumentNode): string {
  return createHash('sha256').update(print(document)).digest('hex');
}
