import { parse, valueFromASTUntyped, type DefinitionNode, type DirectiveNode } from 'graphql';

/**
 * What a field or type asks of the caller: to be authenticated, and (`@requiresScopes`) to hold
 * every scope of at least one of the sets (an OR of ANDs, as Apollo Router reads it).
 */
export interface Requirement {
  authenticated: boolean;
  /** Alternatives; each is a set of scopes all required. Absent: no scopes needed. */
  scopes?: string[][];
}

/** The authorization directives of a supergraph, by `Type.field` coordinate and by type name. */
export interface AuthorizationRequirements {
  fields: Map<string, Requirement>;
  types: Map<string, Requirement>;
}

/** No directive anywhere: everything is public. */
export const NO_REQUIREMENTS: AuthorizationRequirements = { fields: new Map(), types: new Map() };

/**
 * Reads `@authenticated` and `@requiresScopes` from a supergraph SDL. Composition keeps them
 * there (their `for: SECURITY` links) and the API schema drops them, so they are looked up here.
 */
export function readAuthorizationRequirements(supergraphSdl: string): AuthorizationRequirements {
  const result: AuthorizationRequirements = { fields: new Map(), types: new Map() };
  for (const definition of parse(supergraphSdl).definitions) {
    if (!('name' in definition) || !definition.name || !isTypeDefinition(definition)) continue;
    const own = requirementOf(definition.directives);
    if (own) result.types.set(definition.name.value, own);
    if (!('fields' in definition)) continue;
    for (const field of definition.fields ?? []) {
      const requirement = requirementOf(field.directives);
      if (requirement) result.fields.set(`${definition.name.value}.${field.name.value}`, requirement);
    }
  }
  return result;
}

function isTypeDefinition(definition: DefinitionNode): boolean {
  return definition.kind.endsWith('TypeDefinition') || definition.kind.endsWith('TypeExtension');
}

function requirementOf(directives: readonly DirectiveNode[] | undefined): Requirement | undefined {
  const authenticated = directives?.some((d) => d.name.value === 'authenticated') ?? false;
  const scopesDirective = directives?.find((d) => d.name.value === 'requiresScopes');
  const scopesArgument = scopesDirective?.arguments?.find((a) => a.name.value === 'scopes');
  const scopes = scopesArgument ? (valueFromASTUntyped(scopesArgument.value) as string[][]) : undefined;
  if (!authenticated && !scopes) return undefined;
  return { authenticated: true, ...(scopes && { scopes }) };
}

/** Both requirements at once (a field's and its type's): every condition of each. */
export function combine(a: Requirement | undefined, b: Requirement | undefined): Requirement | undefined {
  if (!a) return b;
  if (!b) return a;
  const scopes = a.scopes && b.scopes ? a.scopes.flatMap((left) => b.scopes!.map((right) => [...left, ...right])) : (a.scopes ?? b.scopes);
  return { authenticated: true, ...(scopes && { scopes }) };
}

/** Whether a caller (authenticated or not, with these scopes) meets a requirement. */
export function satisfies(requirement: Requirement | undefined, caller: { authenticated: boolean; scopes: ReadonlySet<string> }): boolean {
  if (!requirement) return true;
  if (requirement.authenticated && !caller.authenticated) return false;
  return !requirement.scopes || requirement.scopes.some((all) => all.every((scope) => caller.scopes.has(scope)));
}
