import { operationFromDocument, type Operation } from '@apollo/federation-internals';
import {
  Kind,
  parse,
  print,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLError,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/** A step of a deferred block's `queryPath`: a field's response name, or an inline fragment (`... on T`). */
const isFragmentStep = (step: string) => step.startsWith('...');

/**
 * The operation that selects `subselection` (a selection set as the query planner prints it)
 * under `queryPath` of `operation`: each step the operation's own field (alias, name and
 * arguments), the same variables and fragments. Shaping the fetched data with it gives one
 * deferred part's fields, or — with an empty path — the first part's.
 */
export function operationAt(operation: Operation, queryPath: readonly string[], subselection: string): Operation {
  const document = parse(operation.toString());
  const definition = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION);
  let selections = definition.selectionSet;
  const opening: string[] = [];
  for (const step of queryPath) {
    if (isFragmentStep(step)) {
      opening.push(`${step} {`);
      continue;
    }
    const field = fieldAt(selections, step, fragments);
    if (!field) throw new Error(`@defer: no field "${step}" on the path of a deferred fragment`);
    const args = field.arguments?.length ? `(${field.arguments.map((a) => print(a)).join(', ')})` : '';
    // Its @skip/@include too: a fragment under a skipped field has nothing to show.
    const conditions = (field.directives ?? []).map((d) => ` ${print(d)}`).join('');
    opening.push(`${field.alias ? `${field.alias.value}: ` : ''}${field.name.value}${args}${conditions} {`);
    selections = field.selectionSet ?? selections;
  }
  const inner = subselection.trim().replace(/^\{/, '').replace(/\}$/, '');
  const variables = definition.variableDefinitions?.length ? `(${definition.variableDefinitions.map((v) => print(v)).join(', ')})` : '';
  const text = `${definition.operation} ${variables} { ${opening.join(' ')} ${inner} ${'}'.repeat(opening.length)} }`;
  const shaping: DocumentNode = { ...parse(text), definitions: [...parse(text).definitions, ...fragments] };
  return operationFromDocument(operation.schema(), shaping, { validate: false });
}

/** The field whose response name is `responseName` among `set`'s selections, looking into inline fragments and fragment spreads. */
function fieldAt(set: SelectionSetNode, responseName: string, fragments: readonly FragmentDefinitionNode[]): FieldNode | undefined {
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD && (selection.alias?.value ?? selection.name.value) === responseName) return selection;
    const nested =
      selection.kind === Kind.INLINE_FRAGMENT
        ? selection.selectionSet
        : selection.kind === Kind.FRAGMENT_SPREAD
          ? fragments.find((f) => f.name.value === selection.name.value)?.selectionSet
          : undefined;
    const found = nested && fieldAt(nested, responseName, fragments);
    if (found) return found;
  }
  return undefined;
}

/** One deferred fragment's data for one object it applies to, where that object is in the response. */
export interface DeferredItem {
  /** Null when no object was reached (only errors to report). */
  data: Record<string, unknown> | null;
  path: Array<string | number>;
  errors: GraphQLError[];
}

/**
 * The deferred fragment's items: the shaped response walked along `queryPath` (through every
 * list), one item per object reached, each with the errors whose path lies under it (an error
 * under none goes with the first item, or with an item of its own when no object was reached).
 */
export function itemsOf(
  shaped: Record<string, unknown> | null | undefined,
  queryPath: readonly string[],
  errors: GraphQLError[],
): DeferredItem[] {
  const items: DeferredItem[] = [];
  const steps = queryPath.filter((step) => !isFragmentStep(step));
  const walk = (value: unknown, at: number, path: Array<string | number>): void => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) return value.forEach((element, index) => walk(element, at, [...path, index]));
    if (at === steps.length) {
      if (Object.keys(value).length > 0) items.push({ data: value as Record<string, unknown>, path, errors: [] });
      return;
    }
    walk((value as Record<string, unknown>)[steps[at]!], at + 1, [...path, steps[at]!]);
  };
  walk(shaped, 0, []);
  for (const error of errors) {
    const under = items.find((item) => isPrefix(item.path, error.path ?? []));
    if (under) under.errors.push(error);
    else if (items[0]) items[0].errors.push(error);
    else items.push({ data: null, path: steps, errors: [error] });
  }
  return items;
}

const isPrefix = (prefix: ReadonlyArray<string | number>, path: ReadonlyArray<string | number>) =>
  prefix.length <= path.length && prefix.every((step, i) => step === path[i]);
