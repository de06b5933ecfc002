/**
 * `pnpm schema:check`: is this change safe to ship? Offline, no registry:
 * 1. composes the subgraphs of supergraph.yaml (errors with subgraph, location, code);
 * 2. fails when the committed supergraph.graphql is stale (run `pnpm compose`);
 * 3. classifies every API schema change as breaking, dangerous or safe; breaking ones fail
 *    unless allowlisted with a reason;
 * 4. validates every client operation (and its estimated cost) against the new schema.
 *
 * `--subgraph NAME --schema PATH` checks a proposed schema for one subgraph, like
 * `rover subgraph check`. `--baseline PATH` measures changes against another supergraph than
 * the committed one (the target branch's, in a pull request). `--json` prints the steps as JSON. Exit codes: 0 passed,
 * 1 a check failed, 2 usage or configuration error.
 */
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '@tessera/service-kit';
import { loadLimitsConfig } from '@tessera/gateway';
import { formatReport, runSchemaCheck, UsageError } from './index.js';

const USAGE = `usage: pnpm schema:check [--subgraph NAME --schema PATH] [--json]
       [--config supergraph.yaml] [--supergraph supergraph.graphql] [--baseline BASE_SUPERGRAPH]
       [--operations schema-checks/operations] [--allowlist schema-checks/allowed-breaking-changes.json]`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        config: { type: 'string', default: 'supergraph.yaml' },
        supergraph: { type: 'string' },
        baseline: { type: 'string' },
        operations: { type: 'string' },
        allowlist: { type: 'string' },
        subgraph: { type: 'string' },
        schema: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    }));
    if (Boolean(values.subgraph) !== Boolean(values.schema)) throw new UsageError('--subgraph and --schema go together');
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const configPath = resolve(values.config);
  const base = dirname(configPath);
  try {
    const limits = loadLimitsConfig();
    const steps = await runSchemaCheck({
      configPath,
      supergraphPath: resolve(values.supergraph ?? join(base, 'supergraph.graphql')),
      baselinePath: values.baseline && resolve(values.baseline),
      operationsDir: resolve(values.operations ?? join(base, 'schema-checks/operations')),
      allowlistPath: resolve(values.allowlist ?? join(base, 'schema-checks/allowed-breaking-changes.json')),
      proposal: values.subgraph && values.schema ? { subgraph: values.subgraph, schemaPath: values.schema } : undefined,
      // LIMITS_MODE=off: no operation is refused for its cost, so none fails the check for it.
      maxCost: limits?.maxCost ?? Number.POSITIVE_INFINITY,
      costModel: limits?.costModel ?? {},
    });
    const failed = steps.some((s) => s.status === 'failed');
    console.log(values.json ? JSON.stringify({ passed: !failed, steps }, null, 2) : formatReport(steps));
    return failed ? 1 : 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
}

process.exitCode = await main();
