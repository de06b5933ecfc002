/**
 * Our stand-in for the audit's `src/supergraph.ts` (fets routes serving each suite's supergraph,
 * subgraphs and tests): the same `serve(id, subgraphs, tests)`, returning the suite as data, and
 * the same composition (`@apollo/composition`'s `composeServices`) in {@link composeSupergraph}.
 */
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import type { AuditSubgraph } from './subgraph.js';
import type { AuditTest } from './testkit.js';

/** One suite of the audit: its subgraphs and its test cases, in order. */
export interface AuditSuite {
  id: string;
  subgraphs: AuditSubgraph[];
  /** The cases (a function where the suite makes them fresh, as `mutations` does). */
  tests(): AuditTest[];
}

export function serve(id: string, subgraphs: AuditSubgraph[], tests: (() => AuditTest[]) | AuditTest[]): AuditSuite {
  const names = subgraphs.map((subgraph) => subgraph.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate !== undefined) throw new Error(`Duplicate subgraph name ${duplicate}`);
  return { id, subgraphs, tests: () => (Array.isArray(tests) ? tests : tests()) };
}

/** The supergraph SDL of subgraphs served at `url`; throws with composition's errors. */
export function composeSupergraph(subgraphs: ReadonlyArray<{ name: string; url: string; typeDefs: string }>): string {
  const result = composeServices(subgraphs.map(({ name, url, typeDefs }) => ({ name, url, typeDefs: parse(typeDefs) })));
  if (!result.supergraphSdl) {
    throw new Error(`Failed to compose supergraph: ${(result.errors ?? []).map((error) => error.message).join('; ')}`);
  }
  return result.supergraphSdl;
}
