import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { badUserInput, createShapeMemo, ErrorCode } from '@tessera/service-kit';
import {
  GraphQLError,
  isUnionType,
  Kind,
  valueFromASTUntyped,
  visit,
  type DocumentNode,
  type GraphQLSchema,
  type ValueNode,
} from 'graphql';

/** What one subgraph request may ask for, whoever sends it. */
export interface RequestLimits {
  /** Deepest field nesting (introspection left out). @default 20 */
  maxDepth: number;
  /** `_entities` representations resolved by one request. @default 1_000 */
  maxEntities: number;
}

/**
 * Text that cannot be stored as it was sent: U+0000 (PostgreSQL refuses it) and a UTF-16
 * surrogate without its partner (UTF-8 cannot encode it; the driver would store U+FFFD instead,
 * silently). JSON lets a client send both (`"\u0000"`, `"\ud800"`).
 */
const UNSTORABLE = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** What {@link OperationGuard} checks: an operation as it is about to run. */
export interface GuardedOperation {
  document: DocumentNode;
  operationName: string | null | undefined;
  variables: Record<string, unknown>;
  schema: GraphQLSchema;
}

/** Throws the refusal of an operation over a subgraph's own limits; returns when it may run. */
export type OperationGuard = (operation: GuardedOperation) => void;

/**
 * A subgraph's own guards, checked once the operation is known and before any resolver runs
 * (so before any database work): depth, the number and the form of `_entities`
 * representations, and text that cannot be stored as sent (U+0000, an unpaired surrogate)
 * anywhere in the arguments. The gateway enforces richer limits; these hold for a request that
 * reaches the subgraph some other way.
 */
export function createRequestGuardsPlugin<C extends BaseContext>(limits: RequestLimits): ApolloServerPlugin<C> {
  const guard = createOperationGuard(limits);
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operationName, request, schema }) {
          guard({ document, operationName, variables: request.variables ?? {}, schema });
        },
      };
    },
  };
}

/** The checks of {@link createRequestGuardsPlugin}, for Apollo's requests and for subscriptions' event streams alike. */
export function createOperationGuard(limits: RequestLimits): OperationGuard {
  // What depends on the document alone is worked out once per document (Apollo Server keeps
  // parsed documents, so the planner's repeated fetches are the same object).
  const shapeOf = createShapeMemo();
  const literalTextPath = memoizeBy<DocumentNode, { path: string | undefined }>((document) => ({ path: walkArguments(document, {}) }));
  const entityArguments = memoizeBy<DocumentNode, ValueNode[]>(entitiesArgumentsOf);
  const entityTypes = memoizeBy<GraphQLSchema, ReadonlySet<string>>(entityTypesOf);
  return ({ document, operationName, variables, schema }) => {
    const depth = shapeOf(document, operationName).depth;
    if (depth > limits.maxDepth) {
      throw refusal(ErrorCode.MaxDepth, `Operation is ${depth} fields deep; at most ${limits.maxDepth}.`, {
        depth: { measured: depth, max: limits.maxDepth },
      });
    }
    const representations = representationsOf(entityArguments(document), variables);
    if (representations.length > limits.maxEntities) {
      throw refusal(ErrorCode.MaxEntities, `Request resolves ${representations.length} entities; at most ${limits.maxEntities}.`, {
        entities: { measured: representations.length, max: limits.maxEntities },
      });
    }
    const field = argumentWithUnstorableText(document, variables, literalTextPath);
    if (field !== undefined)
      throw badUserInput('Text may not contain U+0000 or an unpaired surrogate: it cannot be stored as sent.', field, {
        http: { status: 400 },
      });
    const representation = invalidRepresentation(representations, entityTypes(schema));
    if (representation !== undefined) {
      throw badUserInput('Each representation must be an object whose __typename names an entity of this subgraph.', representation, {
        http: { status: 400 },
      });
    }
  };
}

function refusal(code: ErrorCode, message: string, details: Record<string, unknown>): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...details, http: { status: 400 } } });
}

/** `compute(key)`, worked out once per key object (documents and schemas Apollo Server keeps). */
function memoizeBy<K extends object, V>(compute: (key: K) => V): (key: K) => V {
  const known = new WeakMap<K, V>();
  return (key) => {
    let value = known.get(key);
    if (value === undefined) known.set(key, (value = compute(key)));
    return value;
  };
}

/** The `representations` arguments of the document's `_entities` fields, as written. */
function entitiesArgumentsOf(document: DocumentNode): ValueNode[] {
  const values: ValueNode[] = [];
  visit(document, {
    Field(node) {
      if (node.name.value !== '_entities') return;
      const value = node.arguments?.find((a) => a.name.value === 'representations')?.value;
      if (value) values.push(value);
    },
  });
  return values;
}

/** The representations given to `_entities` (their arguments, {@link entitiesArgumentsOf}), as JSON values (literals converted). */
function representationsOf(values: readonly ValueNode[], variables: Record<string, unknown>): unknown[] {
  const representations: unknown[] = [];
  for (const value of values) {
    const list: unknown = valueFromASTUntyped(value, variables);
    if (Array.isArray(list)) representations.push(...(list as unknown[]));
    else if (list !== undefined) representations.push(list);
  }
  return representations;
}

/** The names of the schema's entity types (the members of `_Entity`). */
function entityTypesOf(schema: GraphQLSchema): ReadonlySet<string> {
  const entity = schema.getType('_Entity');
  return new Set(entity && isUnionType(entity) ? entity.getTypes().map((type) => type.name) : []);
}

/** The path of the first representation that is not an object naming an entity type of this schema. */
function invalidRepresentation(representations: unknown[], entityTypes: ReadonlySet<string>): string | undefined {
  for (const [i, representation] of representations.entries()) {
    const typename = (representation as { __typename?: unknown } | null)?.__typename;
    if (typeof representation !== 'object' || representation === null || Array.isArray(representation)) return `representations.${i}`;
    if (typeof typename !== 'string' || !entityTypes.has(typename)) return `representations.${i}.__typename`;
  }
  return undefined;
}

/**
 * The path (`input.name`, `representations.3.sku`) of the first argument text that cannot be
 * stored, literal or variable. JSON writes U+0000 as `\u0000` and an unpaired surrogate as
 * `\udXXX` (in keys too), so variables whose JSON has neither hold none; then the answer depends
 * on the document's literals alone, and is remembered per document.
 */
function argumentWithUnstorableText(
  document: DocumentNode,
  variables: Record<string, unknown>,
  literalTextPath: (document: DocumentNode) => { path: string | undefined },
): string | undefined {
  return jsonMayHoldUnstorable(variables) ? walkArguments(document, variables) : literalTextPath(document).path;
}

/** False when the value's JSON has no `\u0000` and no escaped surrogate; true when it has, or is too deep to write (then walk it). */
function jsonMayHoldUnstorable(value: unknown): boolean {
  try {
    return /\\u0000|\\ud[89a-f]/.test(JSON.stringify(value));
  } catch {
    return true;
  }
}

function walkArguments(document: DocumentNode, variables: Record<string, unknown>): string | undefined {
  let found: string | undefined;
  visit(document, {
    Argument(node) {
      found ??= unstorableInLiteral(node.value, node.name.value, variables);
      return false;
    },
  });
  return found;
}

function unstorableInLiteral(value: ValueNode, path: string, variables: Record<string, unknown>): string | undefined {
  switch (value.kind) {
    case Kind.STRING:
      return UNSTORABLE.test(value.value) ? path : undefined;
    case Kind.LIST:
      return firstOf(value.values.map((item, i) => () => unstorableInLiteral(item, `${path}.${i}`, variables)));
    case Kind.OBJECT:
      return firstOf(value.fields.map((field) => () => unstorableInLiteral(field.value, `${path}.${field.name.value}`, variables)));
    case Kind.VARIABLE:
      return unstorableInValue(variables[value.name.value], path);
    default:
      return undefined;
  }
}

function firstOf(checks: Array<() => string | undefined>): string | undefined {
  for (const check of checks) {
    const found = check();
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The same for a variable's JSON value, walked without recursion: a client chooses its depth. */
function unstorableInValue(root: unknown, rootPath: string): string | undefined {
  const pending: Array<[unknown, string]> = [[root, rootPath]];
  while (pending.length) {
    const [value, path] = pending.pop()!;
    if (typeof value === 'string') {
      if (UNSTORABLE.test(value)) return path;
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) pending.push([value[i], `${path}.${i}`]);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value).reverse()) {
        if (UNSTORABLE.test(key)) return `${path}.${JSON.stringify(key).slice(1, -1)}`;
        pending.push([item, `${path}.${key}`]);
      }
    }
  }
  return undefined;
}
