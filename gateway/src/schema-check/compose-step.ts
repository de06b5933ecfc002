import { readFile } from 'node:fs/promises';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import type { SubgraphSource } from '../supergraph/config.js';
import { UsageError, type StepResult } from './types.js';

/**
 * Step 1: composes the subgraphs (one of them possibly replaced by a proposed schema file).
 * Composition errors are reported with their subgraph, location and code.
 */
export async function composeStep(subgraphs: SubgraphSource[]): Promise<{ step: StepResult; supergraphSdl?: string }> {
  const services = await Promise.all(
    subgraphs.map(async ({ name, routingUrl, schemaPath }) => {
      const sdl = await readFile(schemaPath, 'utf8').catch(() => {
        throw new UsageError(`cannot read the schema of subgraph "${name}": ${schemaPath}`);
      });
      try {
        return { name, url: routingUrl, typeDefs: parse(sdl) };
      } catch (error) {
        return { name, url: routingUrl, parseError: error as Error & { locations?: Array<{ line: number; column: number }> } };
      }
    }),
  );
  const parseErrors = services.filter((s) => 'parseError' in s);
  if (parseErrors.length) {
    return {
      step: {
        name: 'composition',
        status: 'failed',
        findings: parseErrors.map((s) => ({
          level: 'error',
          code: 'GRAPHQL_PARSE_FAILED',
          where: `${s.name}${location(s.parseError!.locations)}`,
          message: s.parseError!.message,
        })),
      },
    };
  }
  const result = composeServices(services as Array<{ name: string; url: string; typeDefs: ReturnType<typeof parse> }>);
  if (result.errors) {
    return {
      step: {
        name: 'composition',
        status: 'failed',
        findings: result.errors.map((error) => ({
          level: 'error',
          code: String(error.extensions.code ?? 'COMPOSITION_ERROR'),
          // Composition names the subgraphs in the message ("[reviews] ..."), and locations point into their files.
          where: `${subgraphsNamed(error.message, subgraphs).join(', ') || 'supergraph'}${location(error.locations)}`,
          message: error.message,
        })),
      },
    };
  }
  return { step: { name: 'composition', status: 'passed', findings: [] }, supergraphSdl: result.supergraphSdl };
}

function location(locations: ReadonlyArray<{ line: number; column: number }> | undefined): string {
  return locations?.length ? `:${locations[0]!.line}:${locations[0]!.column}` : '';
}

function subgraphsNamed(message: string, subgraphs: SubgraphSource[]): string[] {
  return subgraphs.map((s) => s.name).filter((name) => message.includes(`"${name}"`) || message.includes(`[${name}]`));
}
