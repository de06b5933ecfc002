import { parse, valueFromASTUntyped, type ConstDirectiveNode, type DefinitionNode } from 'graphql';

/** One `@cacheControl` as written on a type or a field. */
export interface CacheHint {
  /** Seconds an answer may be kept; 0 or less: never. */
  maxAge?: number;
  scope?: 'PUBLIC' | 'PRIVATE';
  /** A type's fields take the policy of the field that returned it. */
  inheritMaxAge?: boolean;
}

/** The `@cacheControl` hints of a supergraph, by type name and by `Type.field` coordinate. */
export interface CacheHints {
  types: Map<string, CacheHint>;
  fields: Map<string, CacheHint>;
}

/** No hint anywhere: nothing is cached (before a supergraph is loaded). */
export const NO_CACHE_HINTS: CacheHints = { types: new Map(), fields: new Map() };

/**
 * Reads `@cacheControl(maxAge:, scope:, inheritMaxAge:)` from a supergraph SDL. The subgraphs
 * compose it through `@composeDirective`, so the supergraph keeps every application (the API
 * schema drops them) and the gateway decides what to cache from the schemas alone — no subgraph
 * computes a policy per request (Apollo Server's cache-control plugin wraps every resolver).
 */
export function readCacheHints(supergraphSdl: string): CacheHints {
  const hints: CacheHints = { types: new Map(), fields: new Map() };
  for (const definition of parse(supergraphSdl).definitions) {
    if (!isTypeDefinition(definition)) continue;
    const own = hintOf(definition.directives);
    if (own) hints.types.set(definition.name.value, own);
    if (!('fields' in definition)) continue;
    for (const field of definition.fields ?? []) {
      const hint = hintOf(field.directives);
      if (hint) hints.fields.set(`${definition.name.value}.${field.name.value}`, hint);
    }
  }
  return hints;
}

function isTypeDefinition(
  definition: DefinitionNode,
): definition is Extract<DefinitionNode, { name: { value: string }; directives?: readonly ConstDirectiveNode[] }> {
  return (
    'name' in definition &&
    definition.name !== undefined &&
    (definition.kind.endsWith('TypeDefinition') || definition.kind.endsWith('TypeExtension'))
  );
}

function hintOf(directives: readonly ConstDirectiveNode[] | undefined): CacheHint | undefined {
  const directive = directives?.find((d) => d.name.value === 'cacheControl');
  if (!directive) return undefined;
  const argument = (name: string) => {
    const node = directive.arguments?.find((a) => a.name.value === name);
    return node ? valueFromASTUntyped(node.value) : undefined;
  };
  const maxAge = argument('maxAge');
  const scope = argument('scope');
  return {
    ...(typeof maxAge === 'number' && { maxAge }),
    ...((scope === 'PUBLIC' || scope === 'PRIVATE') && { scope }),
    ...(argument('inheritMaxAge') === true && { inheritMaxAge: true }),
  };
}
