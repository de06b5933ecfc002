import { buildOperationContext, type GraphQLDataSource } from '@apollo/gateway';
import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { QueryPlanner, type FetchNode, type PlanNode } from '@apollo/query-planner';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { SupergraphState } from '../supergraph/index.js';

/** What executing a subscription's events needs of the supergraph it was planned on. */
export interface SubscriptionPlan {
  /** The fetch that subscribes, on one subgraph. */
  primary: FetchNode;
  /** What runs for each of its events: the fetches to the other subgraphs (none when it answers all). */
  rest?: PlanNode;
  operationContext: ReturnType<typeof buildOperationContext>;
  /** The supergraph's own schema (join directives and all) and its API schema, as Apollo Gateway's execution takes them. */
  supergraphSchema: GraphQLSchema;
  apiSchema: ReturnType<Supergraph['apiSchema']>;
}

/** Plans subscriptions on one supergraph (a new planner for each supergraph loaded). */
export interface SubscriptionPlanner {
  /** The plan of a validated subscription operation; remembered per document and operation name. */
  plan(document: DocumentNode, operationName: string | null): SubscriptionPlan;
  /** The supergraph it plans on. */
  readonly supergraph: SupergraphState;
}

/**
 * Apollo's query planner over the supergraph being served, for subscriptions: Apollo Gateway
 * plans them too (a `SubscriptionNode`: one subscribing fetch, `primary`, and what to fetch
 * for each of its events, `rest`) but will not execute them; Tessera does.
 */
export function createSubscriptionPlanner(state: SupergraphState): SubscriptionPlanner {
  const supergraph = Supergraph.build(state.sdl);
  const planner = new QueryPlanner(supergraph);
  const supergraphSchema = supergraph.schema.toGraphQLJSSchema();
  const apiSchema = supergraph.apiSchema();
  const plans = new LRUCache<DocumentNode, Map<string, SubscriptionPlan>>({ max: 1_000 });
  return {
    supergraph: state,
    plan(document, operationName) {
      let byName = plans.get(document);
      if (!byName) plans.set(document, (byName = new Map()));
      let plan = byName.get(operationName ?? '');
      if (!plan) {
        const operation = operationFromDocument(apiSchema, document, { operationName: operationName ?? undefined });
        const node = planner.buildQueryPlan(operation).node;
        if (node?.kind !== 'Subscription') throw new Error('not a subscription operation');
        const operationContext = buildOperationContext({
          schema: state.apiSchema,
          operationDocument: document,
          operationName: operationName ?? undefined,
        });
        plan = { primary: node.primary, rest: node.rest, operationContext, supergraphSchema, apiSchema };
        byName.set(operationName ?? '', plan);
      }
      return plan;
    },
  };
}

/** A subgraph's data source as Apollo Gateway calls it. */
export type ServiceMap = Record<string, GraphQLDataSource>;
