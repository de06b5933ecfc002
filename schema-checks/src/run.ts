import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadSupergraphConfig, type CostModelOptions, type SubgraphSource } from '@tessera/gateway';
import { composeStep } from './compose-step.js';
import { diffStep, loadAllowlist } from './diff-step.js';
import { loadClientOperations, operationsStep } from './operations-step.js';
import { UsageError, type StepResult } from './types.js';

/** Inputs of {@link runSchemaCheck}; paths are resolved from the working directory. */
export interface SchemaCheckOptions {
  /** rover-compatible composition config. */
  configPath: string;
  /** The committed supergraph: checked for staleness, and the baseline for changes unless `baselinePath` is given. */
  supergraphPath: string;
  /**
   * The supergraph changes are measured against, when not the committed one — in CI, the
   * target branch's (`git show origin/main:supergraph.graphql`), so that a change committed
   * together with its recomposed supergraph is still seen.
   */
  baselinePath?: string;
  /** Folder of client operations (`.graphql` files and persisted query manifests). */
  operationsDir: string;
  /** Committed allowlist of breaking changes. */
  allowlistPath: string;
  /** Check a proposed schema for one subgraph instead of its file in the config. */
  proposal?: { subgraph: string; schemaPath: string };
  maxCost: number;
  costModel: CostModelOptions;
}

/** Runs the four steps; throws UsageError for bad paths or arguments. */
export async function runSchemaCheck(options: SchemaCheckOptions): Promise<StepResult[]> {
  const subgraphs = await loadConfig(options.configPath);
  if (options.proposal) {
    const target = subgraphs.find((s) => s.name === options.proposal!.subgraph);
    if (!target)
      throw new UsageError(
        `no subgraph "${options.proposal.subgraph}" in ${options.configPath} (has: ${subgraphs.map((s) => s.name).join(', ')})`,
      );
    target.schemaPath = resolve(options.proposal.schemaPath);
  }
  const committed = await readFile(options.supergraphPath, 'utf8').catch(() => {
    throw new UsageError(`cannot read the committed supergraph ${options.supergraphPath} (run pnpm compose)`);
  });
  const allowlist = await loadAllowlist(options.allowlistPath);
  const operations = await loadClientOperations(options.operationsDir);

  const steps: StepResult[] = [];
  const { step, supergraphSdl } = await composeStep(subgraphs);
  steps.push(step);
  if (!supergraphSdl) {
    steps.push(...(['supergraph file', 'schema changes', 'client operations'] as const).map((name) => skipped(name)));
    return steps;
  }
  if (options.proposal) {
    steps.push(skipped('supergraph file', 'a proposed schema is checked against the committed supergraph'));
  } else {
    const stale = committed.trimEnd() !== supergraphSdl.trimEnd();
    steps.push({
      name: 'supergraph file',
      status: stale ? 'failed' : 'passed',
      findings: stale ? [{ level: 'error', where: options.supergraphPath, message: 'is not what the subgraph schemas compose to' }] : [],
      ...(stale && { hint: 'run `pnpm compose` and commit supergraph.graphql' }),
    });
  }
  const baseline = options.baselinePath
    ? await readFile(options.baselinePath, 'utf8').catch(() => {
        throw new UsageError(`cannot read the baseline supergraph ${options.baselinePath}`);
      })
    : committed;
  steps.push(await diffStep(baseline, supergraphSdl, allowlist));
  steps.push(operationsStep(operations, supergraphSdl, { maxCost: options.maxCost, costModel: options.costModel }));
  return steps;
}

async function loadConfig(path: string): Promise<SubgraphSource[]> {
  try {
    return await loadSupergraphConfig(path);
  } catch (error) {
    throw new UsageError(`cannot use ${path}: ${(error as Error).message}`);
  }
}

function skipped(name: StepResult['name'], why = 'composition failed'): StepResult {
  return { name, status: 'skipped', findings: [{ level: 'safe', message: why }] };
}
