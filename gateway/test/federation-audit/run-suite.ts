/**
 * Runs one suite of the federation gateway audit against Tessera's gateway, in this process:
 * its subgraphs on loopback ports, the supergraph composed from them into a temporary file, a
 * production gateway reading that file, and each case sent as a client would. What the audit's
 * runner (`src/test.ts`) would call a failure is reported by case id (`<suite>_<index>`).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { startTestGateway, untilOwnPartsReady, type TestGateway } from '../support/gateway.js';
import { startSubgraph, type RunningSubgraph } from './subgraph.js';
import { composeSupergraph, type AuditSuite } from './supergraph.js';
import type { AuditExpectation } from './testkit.js';

/** A case the gateway did not answer as the audit expects. */
export interface AuditFailure {
  id: string;
  /** What was compared, in the audit's shape. */
  received: unknown;
  expected: unknown;
}

/**
 * The subgraph names `startTestGateway` routes to a closed URL (`SUBGRAPH_<NAME>_URL`, Tessera's
 * own three): a suite's subgraph of one of these names gets its real URL the same way. Every
 * other subgraph is called where the supergraph's `join__graph(url:)` says.
 */
const PINNED_BY_TEST_GATEWAY = ['users', 'products', 'reviews'];

/** What a suite's run gives: how many cases were sent, and those that failed. */
export interface SuiteResult {
  cases: number;
  failures: AuditFailure[];
}

/** Starts the suite's subgraphs and a gateway in front of them, runs every case, closes everything. */
export async function runSuite(suite: AuditSuite): Promise<SuiteResult> {
  const subgraphs: RunningSubgraph[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'tessera-federation-audit-'));
  let gateway: TestGateway | undefined;
  try {
    for (const subgraph of suite.subgraphs) subgraphs.push(await startSubgraph(subgraph));
    const supergraphPath = join(dir, 'supergraph.graphql');
    await writeFile(supergraphPath, composeSupergraph(subgraphs));
    gateway = await startTestGateway({ SUPERGRAPH_SOURCE: 'file', SUPERGRAPH_PATH: supergraphPath, ...pinnedUrls(subgraphs) });
    await untilOwnPartsReady(gateway);
    return await runCases(suite, gateway);
  } finally {
    await gateway?.close();
    await Promise.all(subgraphs.map((subgraph) => subgraph.close()));
    await rm(dir, { recursive: true, force: true });
  }
}

async function runCases(suite: AuditSuite, gateway: TestGateway): Promise<SuiteResult> {
  const tests = suite.tests();
  const failures: AuditFailure[] = [];
  for (const [index, { query, expected }] of tests.entries()) {
    const id = `${suite.id}_${index}`;
    try {
      const { body } = await gateway.post({ query });
      const compared = auditComparison(body, expected);
      if (!isDeepStrictEqual(compared.received, compared.expected)) failures.push({ id, ...compared });
    } catch (error) {
      // The audit's runner fails a case whose answer is not JSON (or does not come: here the test's timeout).
      failures.push({ id, received: String(error), expected });
    }
  }
  return { cases: tests.length, failures };
}

/**
 * The audit's rule (`src/test.ts`), exactly: `data` must be deeply equal (missing is `null`);
 * where the case says `errors: true` or `false`, whether the answer carries errors must match,
 * and where it says nothing, errors are not looked at.
 */
function auditComparison(response: { data?: unknown; errors?: unknown[] }, expectation: AuditExpectation) {
  const errorsOptional = typeof expectation.errors !== 'boolean';
  return {
    received: { data: response.data ?? null, errors: errorsOptional ? null : response.errors?.length ? true : false },
    expected: { data: expectation.data ?? null, errors: errorsOptional ? null : (expectation.errors ?? false) },
  };
}

function pinnedUrls(subgraphs: RunningSubgraph[]): Record<string, string> {
  return Object.fromEntries(
    subgraphs
      .filter((subgraph) => PINNED_BY_TEST_GATEWAY.includes(subgraph.name))
      .map((subgraph) => [`SUBGRAPH_${subgraph.name.toUpperCase()}_URL`, subgraph.url]),
  );
}
