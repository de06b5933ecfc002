import type { GraphQLDataSource } from '@apollo/gateway';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { EventStream, Logger, RawBodyRequest, SigningKey } from '@tessera/service-kit';
import type { GraphQLFormattedError } from 'graphql';
import type { Registry } from 'prom-client';
import type { WebSocket } from 'ws';
import { withDefaults } from '../options.js';
import type { AssembledFeatures, GatewayContext } from '../pipeline/index.js';
import type { SupergraphState } from '../supergraph/index.js';
import { createEventStreamClient } from '../upstream/index.js';
import { SUBSCRIPTION_LIMITS_DEFAULTS, type SubscriptionLimits } from './counts.js';
import { createSubscriptionEngine } from './engine.js';
import { createSubscriptionMetrics } from './metrics.js';
import { createSseTransport, type OperationRequest } from './sse.js';
import { createWebSocketTransport, WEBSOCKET_DEFAULTS } from './ws.js';

/** How the gateway serves subscriptions (`SUBSCRIPTIONS_*`). */
export interface SubscriptionSettings extends SubscriptionLimits {
  /** Subscriptions one WebSocket connection may have open at once. @default 50 */
  maxPerConnection: number;
  /** Bytes waiting for a client that reads too slowly (a socket, or a stream) before it is cut off. @default 1_048_576 */
  maxBufferedBytes: number;
  /** A WebSocket connection with no subscription this long is closed. @default 600_000 */
  idleTimeoutMs: number;
}

/** Every default of the subscriptions, written once. */
export const SUBSCRIPTIONS_DEFAULTS: SubscriptionSettings = {
  ...SUBSCRIPTION_LIMITS_DEFAULTS,
  maxPerConnection: WEBSOCKET_DEFAULTS.maxPerConnection,
  maxBufferedBytes: WEBSOCKET_DEFAULTS.maxBufferedBytes,
  idleTimeoutMs: WEBSOCKET_DEFAULTS.idleTimeoutMs,
};

/** Options of {@link createSubscriptions}: the settings (each defaulting as {@link SUBSCRIPTIONS_DEFAULTS}) and what subscriptions run on. */
export interface SubscriptionsOptions extends Partial<SubscriptionSettings> {
  /** The gateway's features, assembled: their steps run for subscriptions as for any operation. */
  features: Pick<AssembledFeatures, 'streamSteps' | 'admission' | 'execution' | 'shapeEvent' | 'chargeEvent'>;
  /** A subgraph's data source, behind the features' wrappers (the caches). */
  buildService: (definition: { name: string; url: string }) => GraphQLDataSource;
  routingUrl: (name: string, supergraphUrl: string | undefined) => string;
  /** Subgraph calls are signed with it; none in development without keys. */
  signingKey?: SigningKey;
  /** The request's context as the gateway builds it for Apollo, with the identity given. */
  contextOf: (request: RawBodyRequest, identity?: GatewayContext['identity']) => GatewayContext;
  /** Who a request's guard found it acts for, with its token's expiry. */
  identityOf: (request: RawBodyRequest) => GatewayContext['identity'];
  authenticate: (authorization: string | undefined) => Promise<GatewayContext['identity']>;
  /** When an identity's token stops being accepted (epoch ms); none for an anonymous caller. */
  expiresAtOf: (identity: GatewayContext['identity']) => number | undefined;
  /** Queries and mutations sent over a socket or a stream: Apollo Server answers them. */
  apollo: ApolloServer<GatewayContext>;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  maxTokens: number;
  /** Longest the completion of one event may take (`REQUEST_TIMEOUT_MS`). */
  eventTimeoutMs: number;
  allowedOrigins: readonly string[];
  registry?: Registry;
  logger: Logger;
}

/** The gateway's subscriptions: the engine, and its two transports for the HTTP server. */
export interface Subscriptions {
  eventStreams: { handle(request: RawBodyRequest, stream: EventStream): Promise<void>; options: { maxBufferedBytes: number } };
  webSockets: { handle(socket: WebSocket, request: RawBodyRequest): void };
  onSupergraph: (state: SupergraphState) => void;
  /** Ends every subscription, then closes the connections to the subgraphs. */
  close(): Promise<void>;
}

/** Subscriptions, wired: the engine on the features, the subgraph client, and the transports on the engine. */
export function createSubscriptions({ features, registry, logger, ...given }: SubscriptionsOptions): Subscriptions {
  const settings = withDefaults(SUBSCRIPTIONS_DEFAULTS, given);
  const client = createEventStreamClient({ signingKey: given.signingKey });
  const metrics = createSubscriptionMetrics(registry, () => engine.active());
  const engine = createSubscriptionEngine({
    ...features,
    client,
    buildService: given.buildService,
    routingUrl: given.routingUrl,
    formatError: given.formatError,
    maxTokens: given.maxTokens,
    eventTimeoutMs: given.eventTimeoutMs,
    limits: settings,
    metrics,
    logger,
  });
  const runOperation = (request: OperationRequest, context: GatewayContext) => answersOf(given.apollo, request, context);
  const sse = createSseTransport({
    engine,
    contextOf: (request) => given.contextOf(request),
    expiresAtOf: (request) => given.expiresAtOf(given.identityOf(request)),
    runOperation,
    metrics,
  });
  const ws = createWebSocketTransport({
    engine,
    contextOf: given.contextOf,
    authenticate: given.authenticate,
    expiresAtOf: given.expiresAtOf,
    allowedOrigins: given.allowedOrigins,
    runOperation,
    metrics,
    maxPerConnection: settings.maxPerConnection,
    maxBufferedBytes: settings.maxBufferedBytes,
    idleTimeoutMs: settings.idleTimeoutMs,
  });
  return {
    eventStreams: { handle: sse.handle, options: { maxBufferedBytes: settings.maxBufferedBytes } },
    webSockets: ws,
    onSupergraph: (state) => engine.onSupergraph(state),
    async close() {
      engine.close();
      await client.close();
    },
  };
}

/** What every query or mutation over a stream or a socket asks Apollo for: `@defer`'s parts when the operation defers, else one answer. */
const OPERATION_ACCEPT = 'multipart/mixed; deferSpec=20220824, application/graphql-response+json';

/**
 * Apollo Server's answer to a query or a mutation that came as a stream or over a socket, as the
 * JSON of each result: one, or — for an operation with `@defer` — the first part and each part
 * after it (`hasNext` says whether more follow), each sent as a `next` of its own as graphql-ws
 * and graphql-sse carry incremental results. Its checks are those of any request: a GET runs no mutation.
 */
async function* answersOf(
  apollo: ApolloServer<GatewayContext>,
  { params, headers, method, search }: OperationRequest,
  context: GatewayContext,
): AsyncGenerator<string> {
  const httpHeaders = new HeaderMap([...headers, ['accept', OPERATION_ACCEPT]]);
  if (method === 'POST') httpHeaders.set('content-type', 'application/json');
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method, headers: httpHeaders, search, body: method === 'POST' ? params : undefined },
    context: async () => context,
  });
  if (response.body.kind === 'complete') {
    yield response.body.string;
    return;
  }
  const multipart = response.headers.get('content-type')?.startsWith('multipart/mixed') ?? false;
  let text = '';
  for await (const chunk of response.body.asyncIterator) {
    if (multipart) yield partOf(chunk);
    else text += chunk;
  }
  if (!multipart) yield text;
}

/**
 * The JSON of one part of Apollo Server's `multipart/mixed` body: it writes each part as one chunk,
 * `[\r\n---\r\n]content-type: application/json; charset=utf-8\r\n\r\n<JSON>\r\n---[--]\r\n`
 * (`writeMultipartBody` in its runHttpQuery).
 */
function partOf(chunk: string): string {
  return chunk.slice(chunk.indexOf('\r\n\r\n') + 4, chunk.lastIndexOf('\r\n---'));
}
