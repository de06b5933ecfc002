import type { ApolloServerPlugin } from '@apollo/server';
import type { ExecuteAround, Guard, ReadinessCheck } from '@tessera/service-kit';
import type { SupergraphState } from '../supergraph/index.js';
import { createAdmissionPlugin } from './admission.js';
import type { GatewayContext } from './context.js';
import type { ExecutionStep } from './execution.js';
import type { GraphQLError } from 'graphql';
import type { AdmissionStep, EventResult, GatewayFeature, StreamStep, SubgraphSource } from './feature.js';

/** An ordered list of features taken apart by the point of a request where each part acts, the list's order kept at every point. */
export interface AssembledFeatures {
  /** The HTTP guards, in order. */
  guards: Guard[];
  /** The one feature's step around Apollo's pipeline, if any (none: the pipeline as it is). */
  around: ExecuteAround | undefined;
  /** Every feature's Apollo hooks in order, then the admission steps in order as one hook. */
  plugins: Array<ApolloServerPlugin<GatewayContext>>;
  /** The admission steps, in order (the plugins run them for Apollo's operations; subscriptions run them themselves). */
  admission: AdmissionStep[];
  /** The execution steps, the first outermost. */
  execution: ExecutionStep[];
  /** The steps before a streamed operation is parsed, in order; the first error refuses it. */
  streamSteps: StreamStep[];
  /** Shapes one event's answer through every feature that shapes responses, in order. */
  shapeEvent(context: GatewayContext, result: EventResult): EventResult;
  /** Charges one event to every feature that charges for events, in order; the first error ends the subscription. */
  chargeEvent(context: GatewayContext): GraphQLError | undefined;
  /** A subgraph's data source behind every feature's wrapper, the first feature's outermost. */
  wrapSubgraph: (subgraph: string, source: SubgraphSource) => SubgraphSource;
  /** Tells every feature of a supergraph, in order. */
  onSupergraph: (supergraph: SupergraphState) => void;
  /** The readiness checks of the features that have one, by feature name. */
  readiness: Record<string, ReadinessCheck>;
  actions: Record<string, (body: unknown) => Promise<unknown>>;
  views: Record<string, () => unknown>;
  /** Closes the features, the last first (what a later feature uses may come from an earlier one). */
  close(): Promise<void>;
}

/** Takes an ordered list of features apart (see {@link AssembledFeatures}); names must be unique, readiness reports them. */
export function assembleFeatures(features: readonly GatewayFeature[]): AssembledFeatures {
  const names = features.map((feature) => feature.name);
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated !== undefined) throw new Error(`gateway feature "${repeated}" is listed twice`);
  const defined = <T>(values: Array<T | undefined>) => values.filter((value): value is T => value !== undefined);
  const admission = defined(features.map((feature) => feature.admit));
  const wrappers = defined(features.map((feature) => feature.wrapSubgraph));
  const shapers = defined(features.map((feature) => feature.shapeEvent));
  const chargers = defined(features.map((feature) => feature.chargeEvent));
  // Two steps around the pipeline would each have to know whether the other answered already.
  const around = defined(features.map((feature) => feature.around));
  if (around.length > 1) throw new Error("at most one gateway feature may answer around Apollo's pipeline");
  return {
    guards: defined(features.map((feature) => feature.guard)),
    around: around[0],
    plugins: [...features.flatMap((feature) => feature.plugins ?? []), ...(admission.length ? [createAdmissionPlugin(admission)] : [])],
    admission,
    execution: defined(features.map((feature) => feature.execute)),
    streamSteps: defined(features.map((feature) => feature.prepareStream)),
    shapeEvent: (context, result) => shapers.reduce((shaped, shape) => shape(context, shaped), result),
    chargeEvent(context) {
      for (const charge of chargers) {
        const refusal = charge(context);
        if (refusal) return refusal;
      }
      return undefined;
    },
    wrapSubgraph: (subgraph, source) => wrappers.reduceRight((inner, wrap) => wrap(subgraph, inner), source),
    onSupergraph: (supergraph) => features.forEach((feature) => feature.onSupergraph?.(supergraph)),
    readiness: Object.fromEntries(features.flatMap((feature) => (feature.ready ? [[feature.name, feature.ready]] : []))),
    actions: Object.assign({}, ...features.map((feature) => feature.actions ?? {})) as AssembledFeatures['actions'],
    views: Object.assign({}, ...features.map((feature) => feature.views ?? {})) as AssembledFeatures['views'],
    async close() {
      for (const feature of [...features].reverse()) await feature.close?.();
    },
  };
}
