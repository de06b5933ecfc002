import { Kind, parse, valueFromASTUntyped } from 'graphql';

/**
 * The subgraphs a supergraph routes to, by name, with the routing URLs composition wrote:
 * the values of its `join__Graph` enum and their `@join__graph(name:, url:)`.
 */
export function readJoinGraphs(supergraphSdl: string): Map<string, string> {
  const graphs = new Map<string, string>();
  for (const definition of parse(supergraphSdl).definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== 'join__Graph') continue;
    for (const value of definition.values ?? []) {
      const directive = value.directives?.find((d) => d.name.value === 'join__graph');
      const args = Object.fromEntries((directive?.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)]));
      if (typeof args.name === 'string') graphs.set(args.name, typeof args.url === 'string' ? args.url : '');
    }
  }
  return graphs;
}
