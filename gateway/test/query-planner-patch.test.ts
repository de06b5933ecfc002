/**
 * The patch to Apollo's query planner (patches/@apollo__query-planner@2.14.4.patch): a field
 * excluded by a literal `@skip(if: true)` or `@include(if: false)` under a variable condition the
 * plan already handles stays excluded from the fetches. Unpatched, the planner took the literal
 * for the handled condition and fetched the field without its directive — a deferred user's email
 * was asked of the users subgraph, which refused it, and its error reached the client although the
 * field was skipped (found by test/defer.test.ts's generated operations).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { QueryPlanner, type PlanNode } from '@apollo/query-planner';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { markSecurityEnforced } from '../src/supergraph/security.js';

const supergraph = Supergraph.build(markSecurityEnforced(await readFile(resolve(import.meta.dirname, '../../supergraph.graphql'), 'utf8')));
const planner = new QueryPlanner(supergraph, { incrementalDelivery: { enableDefer: true } });

function fetchesOf(node: PlanNode | undefined): string[] {
  if (!node) return [];
  switch (node.kind) {
    case 'Fetch':
      return [node.operation];
    case 'Sequence':
    case 'Parallel':
      return node.nodes.flatMap(fetchesOf);
    case 'Flatten':
      return fetchesOf(node.node);
    case 'Condition':
      return [...fetchesOf(node.ifClause), ...fetchesOf(node.elseClause)];
    case 'Defer':
      return [...fetchesOf(node.primary.node), ...node.deferred.flatMap((d) => fetchesOf(d.node))];
    default:
      return [];
  }
}

function fetchesFor(query: string): string[] {
  const plan = planner.buildQueryPlan(operationFromDocument(supergraph.schema, parse(query), { validate: true }));
  return plan.node?.kind === 'Subscription' ? [] : fetchesOf(plan.node);
}

describe('query planner: literal conditions under handled ones', () => {
  it.each(['@skip(if: true)', '@include(if: false)'])(
    'keeps a field excluded by %s out of a deferred fetch under a variable condition',
    (condition) => {
      const query = `query ($v: Boolean!) {
      users { edges @skip(if: $v) { node { ...F @defer } } }
    }
    fragment F on User { id username email ${condition} }`;
      const fetches = fetchesFor(query);
      expect(fetches.some((f) => f.includes('username'))).toBe(true);
      // Every fetch that names email carries its exclusion (or none names it).
      for (const fetch of fetches) expect(fetch).not.toMatch(/\bemail\b(?!\s*@(skip\(if:\s*true\)|include\(if:\s*false\)))/);
    },
  );

  it('still drops a literal that keeps the field, and a handled variable condition', () => {
    const fetches = fetchesFor(`query ($v: Boolean!) {
      users { edges @skip(if: $v) { node { ...F @defer } } }
    }
    fragment F on User { id username @include(if: true) email @skip(if: $v) }`);
    const deferred = fetches.find((f) => f.includes('username'))!;
    expect(deferred).not.toContain('@include');
    expect(deferred).not.toContain('@skip');
    expect(deferred).toMatch(/\bemail\b/);
  });
});
