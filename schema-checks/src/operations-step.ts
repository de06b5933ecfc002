import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import {
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  parse,
  typeFromAST,
  validate,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import {
  apiSchemaOf,
  estimateCost,
  GatewayErrorCode,
  parseManifest,
  readCostDirectives,
  resolveOperation,
  type CostModelOptions,
} from '@tessera/gateway';
import type { Finding, StepResult } from './types.js';

/** One client operation to check: from a `.graphql` file or a persisted query manifest. */
interface ClientOperation {
  where: string;
  body: string;
}

/**
 * Client operations under `dir`: every `.graphql` file (each operation in it) and every
 * `.json` persisted query manifest (`apollo-persisted-query-manifest`), recursively.
 */
export async function loadClientOperations(dir: string): Promise<ClientOperation[]> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch {
    return [];
  }
  const operations: ClientOperation[] = [];
  for (const entry of entries.filter((e) => e.isFile()).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(entry.parentPath, entry.name);
    const where = relative(dir, path);
    if (entry.name.endsWith('.graphql')) {
      operations.push({ where, body: await readFile(path, 'utf8') });
    } else if (entry.name.endsWith('.json')) {
      const manifest = parseManifest(JSON.parse(await readFile(path, 'utf8')));
      for (const op of manifest.operations) operations.push({ where: `${where}#${op.name ?? op.id}`, body: op.body });
    }
  }
  return operations;
}

/**
 * Step 4: every client operation must still validate against the new API schema, and its
 * estimated cost (the gateway's own model and `@cost`/`@listSize` directives) must stay
 * within `maxCost`, so a schema change cannot strand a shipped app.
 */
export function operationsStep(
  operations: ClientOperation[],
  supergraphSdl: string,
  { maxCost, costModel }: { maxCost: number; costModel: CostModelOptions },
): StepResult {
  const schema = apiSchemaOf(supergraphSdl);
  const directives = readCostDirectives(supergraphSdl);
  const findings: Finding[] = [];
  for (const { where, body } of operations) {
    let document: DocumentNode;
    try {
      document = parse(body);
    } catch (error) {
      findings.push({ level: 'error', where, code: GatewayErrorCode.GraphqlParseFailed, message: (error as Error).message });
      continue;
    }
    const errors = validate(schema, document);
    if (errors.length) {
      for (const error of errors)
        findings.push({ level: 'error', where, code: GatewayErrorCode.GraphqlValidationFailed, message: error.message });
      continue;
    }
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      const name = definition.name?.value ?? null;
      // Coerced as a request's would be, so the operation's own defaults count.
      const { variables } = resolveOperation(schema, document, name, sampleVariables(schema, definition, costModel.defaultListSize ?? 10));
      const estimated = estimateCost(schema, document, directives, { operationName: name, variables, options: costModel });
      if (estimated > maxCost) {
        findings.push({
          level: 'error',
          where: name ? `${where} (${name})` : where,
          code: GatewayErrorCode.CostTooExpensive,
          message: `estimated cost ${estimated} is over the maximum of ${maxCost}`,
        });
      }
    }
  }
  return {
    name: 'client operations',
    status: findings.length ? 'failed' : 'passed',
    findings: findings.length ? findings : [{ level: 'safe', message: `${operations.length} operation(s) valid and within cost` }],
  };
}

/**
 * Values for an operation's required variables that have no default, so its cost can be
 * estimated before any client sends real ones. Numbers are taken as `listSize` (an
 * unknown `first: $n` is assumed to be a default-sized list), booleans as true, strings and
 * custom scalars as a placeholder, enums as their first value.
 */
function sampleVariables(schema: GraphQLSchema, operation: OperationDefinitionNode, listSize: number): Record<string, unknown> {
  const sample = (type: GraphQLInputType): unknown => {
    const nullable = getNullableType(type);
    if (isListType(nullable)) return [sample(nullable.ofType)];
    if (isEnumType(nullable)) return nullable.getValues()[0]?.value;
    if (isInputObjectType(nullable)) {
      return Object.fromEntries(
        Object.values(nullable.getFields())
          .filter((f) => isNonNullType(f.type) && f.defaultValue === undefined)
          .map((f) => [f.name, sample(f.type)]),
      );
    }
    if (nullable.name === 'Int' || nullable.name === 'Float') return listSize;
    if (nullable.name === 'Boolean') return true;
    return 'sample';
  };
  const values: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
    if (type && isNonNullType(type) && !definition.defaultValue) values[definition.variable.name.value] = sample(type);
  }
  return values;
}
