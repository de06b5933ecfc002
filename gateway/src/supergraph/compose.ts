import { readFile } from 'node:fs/promises';
import { composeServices } from '@apollo/composition';
import { parse, type GraphQLError } from 'graphql';
import type { SubgraphSource } from './config.js';

/** Composition failed; `errors` keep each error's subgraph, code and message. */
export class CompositionError extends Error {
  override name = 'CompositionError';
  constructor(readonly errors: readonly GraphQLError[]) {
    super(`Composition failed:\n${errors.map((e) => `  [${String(e.extensions.code ?? 'ERROR')}] ${e.message}`).join('\n')}`);
  }
}

/** Composes the subgraphs' schema files into a supergraph SDL with `@apollo/composition` (no rover). */
export async function composeSupergraph(subgraphs: SubgraphSource[]): Promise<string> {
  const services = await Promise.all(
    subgraphs.map(async ({ name, routingUrl, schemaPath }) => ({
      name,
      url: routingUrl,
      typeDefs: parse(await readFile(schemaPath, 'utf8')),
    })),
  );
  const result = composeServices(services);
  if (result.errors) throw new CompositionError(result.errors);
  return result.supergraphSdl;
}
