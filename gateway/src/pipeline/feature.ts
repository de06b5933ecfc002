import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { ApolloServerPlugin, GraphQLRequestContextDidResolveOperation } from '@apollo/server';
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
