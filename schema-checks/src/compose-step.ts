import { composeSubgraphs, readSubgraphSchemas, type SubgraphSource } from '@tessera/gateway';
import { UsageError, type StepResult } from './types.js';

/**
 * Step 1: composes the subgraphs (one of them possibly replaced by a proposed schema file).
 * Parse and composition errors are reported with their subgraph, location and code.
 */
export async function composeStep(subgraphs: SubgraphSource[]): Promise<{ step: StepResult; supergraphSdl?: string }> {
  const schemas = await readSubgraphSchemas(subgraphs).catch((error: Error) => {
    throw new UsageError(error.message);
  });
  const outcome = composeSubgraphs(schemas);
  if (outcome.supergraphSdl !== undefined) {
    return { step: { name: 'composition', status: 'passed', findings: [] }, supergraphSdl: outcome.supergraphSdl };
  }
  return {
    step: {
      name: 'composition',
      status: 'failed',
      findings: outcome.problems.map(({ code, message, subgraphs: names, location }) => ({
        level: 'error',
        code,
        where: `${names.join(', ') || 'supergraph'}${location ? `:${location.line}:${location.column}` : ''}`,
        message,
      })),
    },
  };
}
