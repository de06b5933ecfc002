import { readFile } from 'node:fs/promises';
import { composeServices } from '@apollo/composition';
import { GraphQLError, parse, type DocumentNode, type SourceLocation } from 'graphql';
import { GatewayErrorCode, SchemaCheckCode } from '../errors.js';
import type { SubgraphSource } from './config.js';

/** One subgraph's schema text and routing URL, ready to compose. */
export interface SubgraphSchema {
  name: string;
  url: string;
  sdl: string;
}

/** Something that stops composition: its code and message, and where, when known. */
export interface CompositionProblem {
  /** A composition error code (`FIELD_TYPE_MISMATCH`, …) or GRAPHQL_PARSE_FAILED. */
  code: string;
  message: string;
  /** The subgraphs it concerns (empty when composition does not say). */
  subgraphs: string[];
  /** Where in the subgraph's schema file. */
  location?: SourceLocation;
}

/** A supergraph SDL, or why there is none. */
export type CompositionOutcome =
  { supergraphSdl: string; problems?: undefined } | { supergraphSdl?: undefined; problems: CompositionProblem[] };

/**
 * Composes subgraph schemas in memory with `@apollo/composition`, as `rover supergraph
 * compose` does but offline. Every subgraph is parsed first, so a syntax error is reported
 * with its subgraph and line rather than as a composition failure.
 */
export function composeSubgraphs(schemas: SubgraphSchema[]): CompositionOutcome {
  const problems: CompositionProblem[] = [];
  const services: Array<{ name: string; url: string; typeDefs: DocumentNode }> = [];
  for (const { name, url, sdl } of schemas) {
    try {
      services.push({ name, url, typeDefs: parse(sdl) });
    } catch (error) {
      const location = error instanceof GraphQLError ? error.locations?.[0] : undefined;
      problems.push({ code: GatewayErrorCode.GraphqlParseFailed, message: (error as Error).message, subgraphs: [name], location });
    }
  }
  if (problems.length) return { problems };
  const result = composeServices(services);
  if (!result.errors) return { supergraphSdl: result.supergraphSdl };
  return {
    problems: result.errors.map((error) => ({
      code: typeof error.extensions.code === 'string' ? error.extensions.code : SchemaCheckCode.CompositionFailed,
      message: error.message,
      // Composition names the subgraphs in the message ("[reviews] ..."), and locations point into their files.
      subgraphs: schemas.map((s) => s.name).filter((name) => error.message.includes(`"${name}"`) || error.message.includes(`[${name}]`)),
      location: error.locations?.[0],
    })),
  };
}

/** Composition failed; `problems` keep each one's subgraphs, code and message. */
export class CompositionError extends Error {
  override name = 'CompositionError';
  constructor(readonly problems: readonly CompositionProblem[]) {
    super(`Composition failed:\n${problems.map((p) => `  [${p.code}] ${p.message}`).join('\n')}`);
  }
}

/** The schema files of the subgraphs `supergraph.yaml` lists, read; names the file that cannot be read. */
export async function readSubgraphSchemas(sources: SubgraphSource[]): Promise<SubgraphSchema[]> {
  return Promise.all(
    sources.map(async ({ name, routingUrl, schemaPath }) => {
      const sdl = await readFile(schemaPath, 'utf8').catch((error: Error) => {
        throw new Error(`cannot read the schema of subgraph "${name}": ${schemaPath}`, { cause: error });
      });
      return { name, url: routingUrl, sdl };
    }),
  );
}

/** Composes the subgraphs' schema files into a supergraph SDL; throws {@link CompositionError}. */
export async function composeSupergraph(sources: SubgraphSource[]): Promise<string> {
  const outcome = composeSubgraphs(await readSubgraphSchemas(sources));
  if (outcome.problems) throw new CompositionError(outcome.problems);
  return outcome.supergraphSdl;
}
