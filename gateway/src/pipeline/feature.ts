import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { ApolloServerPlugin, GraphQLRequestContextDidResolveOperation, HeaderMap } from '@apollo/server';
import type { FormattedExecutionResult, GraphQLError } from 'graphql';
import type { ExecuteAround, Guard, ReadinessCheck } from '@tessera/service-kit';
import type { SupergraphState } from '../supergraph/index.js';
import type { GatewayContext } from './context.js';
import type { ExecutionStep } from './execution.js';
import type { ResolvedOperation } from './resolve-operation.js';

/**
 * One decision about an operation, taken after validation and before the query plan is built:
 * throw a GraphQLError to refuse it (no subgraph is called), or note something for later.
 * `resolved` is the operation that will run and its coerced variables.
 */
export type AdmissionStep = (
  request: GraphQLRequestContextDidResolveOperation<GatewayContext>,
  resolved: ResolvedOperation,
) => void | Promise<void>;

/**
 * An operation that runs outside Apollo Server's pipeline — a subscription, over a WebSocket or a
 * stream of server-sent events — before it is parsed. `checked`: it came as an HTTP request that
 * passed the guards already (a stream's POST or GET); a WebSocket's messages did not.
 */
export interface StreamRequest {
  query?: string;
  operationName?: string | null;
  variables?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
  /** The request's headers (a WebSocket's: its upgrade's, with the connection's token). */
  headers: HeaderMap;
  checked: boolean;
}

/** A step before a streamed operation is parsed: refuse it (an error), resolve its text (a persisted query), or let it through. */
export type StreamStep = (request: StreamRequest, context: GatewayContext) => Promise<GraphQLError | undefined> | GraphQLError | undefined;

/** One event's answer of a subscription, as the client receives it. */
export type EventResult = FormattedExecutionResult;

/** A subgraph's data source, as Apollo Gateway calls it. */
export type SubgraphSource = GraphQLDataSource<GatewayContext>;

/** A call of a subgraph's data source for a client's operation (not a health check or a schema load): its context is the request's. */
export type OperationFetch = Extract<GraphQLDataSourceProcessOptions<GatewayContext>, { incomingRequestContext: unknown }>;

/**
 * Whether Apollo Gateway calls a data source for a client's operation. Its kinds are an enum
 * (`GraphQLDataSourceRequestKind`) that `@apollo/gateway` declares but does not export at
 * runtime, so the kind is compared as the string it is.
 */
export function isOperationFetch(options: GraphQLDataSourceProcessOptions<GatewayContext>): options is OperationFetch {
  return (options.kind as string) === 'incoming operation';
}

/**
 * A gateway feature: everything it does, at every point of a request's way, as one value. The
 * gateway is an ordered list of them (`server.ts`); at each point the features that act there
 * act in list order: the guards one after another until one answers, the admission steps until
 * one refuses, Apollo's hooks in plugin order, execution steps outermost first.
 */
export interface GatewayFeature {
  /** Names the feature in readiness failures and logs. */
  readonly name: string;
  /** Before Apollo parses the request: may answer it itself (a refusal), and then nothing after runs. */
  readonly guard?: Guard;
  /** Around Apollo's whole pipeline, after every guard: may answer the request without it. */
  readonly around?: ExecuteAround;
  /** After validation, before planning (see {@link AdmissionStep}). */
  readonly admit?: AdmissionStep;
  /** Apollo Server hooks (the response, a cached answer, errors). */
  readonly plugins?: ReadonlyArray<ApolloServerPlugin<GatewayContext>>;
  /** A streamed operation (a subscription) before it is parsed: what the guards and Apollo's hooks do for the others. */
  readonly prepareStream?: StreamStep;
  /** Each event's answer of a subscription, shaped as this feature shapes a response (authorization's nulls and errors, the error limit). */
  readonly shapeEvent?: (context: GatewayContext, result: EventResult) => EventResult;
  /**
   * Before each event is delivered to a subscriber: what it costs them (the rate limit); an error
   * ends the subscription. Synchronous: one event may go to thousands of subscribers at once.
   */
  readonly chargeEvent?: (context: GatewayContext) => GraphQLError | undefined;
  /** Around Apollo Gateway's execution of the plan (the document it plans, a result it shares). */
  readonly execute?: ExecutionStep;
  /** Puts each subgraph's data source behind what its calls go through first. */
  readonly wrapSubgraph?: (subgraph: string, source: SubgraphSource) => SubgraphSource;
  /** Told of every supergraph loaded, the first and each update; what it reads of it is its own business. */
  readonly onSupergraph?: (supergraph: SupergraphState) => void;
  /** Part of `GET /ready`: rejects, with the reason, while the feature cannot serve. */
  readonly ready?: ReadinessCheck;
  /** `POST` actions of the internal listener, by path. */
  readonly actions?: Readonly<Record<string, (body: unknown) => Promise<unknown>>>;
  /** JSON views of the internal listener, by path. */
  readonly views?: Readonly<Record<string, () => unknown>>;
  /** After the HTTP drain; the features close in reverse order. */
  readonly close?: () => void | Promise<void>;
}
