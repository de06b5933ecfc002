import { Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';

/** A document's fragment definitions, by name. */
export function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  return fragments;
}

/**
 * The operation named `operationName` (without a name: the first one) and the document's
 * fragments, in one pass: what every walk over an operation starts from. No operation: none by
 * that name (validation, or `resolveOperation`, says so to the client).
 */
export function operationOf(
  document: DocumentNode,
  operationName: string | null | undefined,
): { operation?: OperationDefinitionNode; fragments: Map<string, FragmentDefinitionNode> } {
  const fragments = fragmentsOf(document);
  const operation = document.definitions.find(
    (definition): definition is OperationDefinitionNode =>
      definition.kind === Kind.OPERATION_DEFINITION && (!operationName || definition.name?.value === operationName),
  );
  return { operation, fragments };
}
