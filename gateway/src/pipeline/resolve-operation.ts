import {
  getOperationAST,
  GraphQLError,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type ArgumentNode,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type GraphQLDirective,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { getArgumentValues, getVariableValues } from 'graphql/execution/values.js';
import { badUserInput, fragmentsOf } from '@tessera/service-kit';
import { GatewayErrorCode, operationRejected } from '../errors.js';

/** The operation a request executes, with the variable values it executes with. */
export interface ResolvedOperation {
  operation: OperationDefinitionNode;
  /** Coerced as execution coerces them: types checked, the operation's defaults applied. */
  variables: Record<string, unknown>;
}

/** A field or directive whose arguments take variables, and its definition. */
interface ArgumentSite {
  definition: GraphQLField<unknown, unknown> | GraphQLDirective;
  node: FieldNode | DirectiveNode;
}

/** Where variables reach arguments does not depend on their values: found once per operation. */
const sitesByOperation = new WeakMap<OperationDefinitionNode, ArgumentSite[]>();

/**
 * Resolves a validated request the way execution will, so that every client mistake is
 * refused up front with a 400 and a stable code — never met later as a 500 — and so that
 * what follows (cost analysis above all) sees the values that will execute:
 * - the operation to run: `OPERATION_RESOLUTION_FAILURE` for an unknown `operationName`, or
 *   several operations and none named;
 * - variables coerced to their types, with the operation's defaults: `BAD_USER_INPUT`;
 * - every argument that takes a variable, coerced with those values: `BAD_USER_INPUT` for a
 *   null reaching a non-null argument (allowed by validation when the variable has a default).
 */
export function resolveOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  rawVariables: Record<string, unknown> | undefined,
): ResolvedOperation {
  const operation = getOperationAST(document, operationName);
  if (!operation) {
    const message = operationName
      ? `Unknown operation named "${operationName}".`
      : 'Must provide operation name if query contains multiple operations.';
    throw operationRejected(GatewayErrorCode.OperationResolutionFailure, message);
  }
  const { coerced, errors } = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {}, { maxErrors: 1 });
  if (errors?.length) throw inputError(errors[0]!, null);
  for (const { definition, node } of argumentSites(schema, document, operation)) {
    try {
      getArgumentValues(definition, node, coerced);
    } catch (error) {
      throw inputError(error as GraphQLError, node);
    }
  }
  return { operation, variables: coerced! };
}

/** BAD_USER_INPUT (HTTP 400) naming the variable, else the field or directive, at fault. */
function inputError(error: GraphQLError, site: FieldNode | DirectiveNode | null): GraphQLError {
  const node = error.nodes?.[0];
  const field =
    node?.kind === Kind.VARIABLE_DEFINITION
      ? `$${node.variable.name.value}`
      : node?.kind === Kind.VARIABLE
        ? `$${node.name.value}`
        : (site?.name.value ?? 'variables');
  return badUserInput(error.message, field, { http: { status: 400 } });
}

function argumentSites(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): ArgumentSite[] {
  let sites = sitesByOperation.get(operation);
  if (sites) return sites;
  const found: ArgumentSite[] = [];
  const typeInfo = new TypeInfo(schema);
  const takesVariable = (args: readonly ArgumentNode[] | undefined) =>
    args?.some((argument) => {
      let variable = false;
      visit(argument.value, { Variable: () => void (variable = true) });
      return variable;
    }) ?? false;
  const visitor = visitWithTypeInfo(typeInfo, {
    Field(node) {
      const definition = typeInfo.getFieldDef();
      if (definition && takesVariable(node.arguments)) found.push({ definition, node });
    },
    Directive(node) {
      const definition = typeInfo.getDirective();
      if (definition && takesVariable(node.arguments)) found.push({ definition, node });
    },
  });
  for (const definition of [operation, ...fragmentsUsedBy(document, operation)]) visit(definition, visitor);
  sitesByOperation.set(operation, (sites = found));
  return sites;
}

/** The fragment definitions an operation spreads, directly or through other fragments. */
function fragmentsUsedBy(document: DocumentNode, operation: OperationDefinitionNode) {
  const fragments = fragmentsOf(document);
  const used = new Map<string, typeof fragments extends Map<string, infer F> ? F : never>();
  const pending: Array<{ selectionSet?: { selections: readonly unknown[] } }> = [operation];
  while (pending.length) {
    visit(pending.pop() as never, {
      FragmentSpread(spread) {
        const name = spread.name.value;
        const fragment = fragments.get(name);
        if (fragment && !used.has(name)) {
          used.set(name, fragment);
          pending.push(fragment);
        }
      },
    });
  }
  return [...used.values()];
}
