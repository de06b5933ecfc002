/**
 * Random query operations over the API schema, with every way an argument can arrive: left
 * out, a literal, a literal null, a variable given a value or null, a variable left to its
 * own default or given one — plus aliases, named and inline fragments and `@include`/`@skip`,
 * and (asked for) `@defer` on inline fragments and fragment spreads, labelled or not, by a literal
 * or a variable `if`.
 * Driven by fast-check's `fc.gen()`, so a failure shrinks and replays from its seed.
 */
import fc from 'fast-check';
import {
  getNamedType,
  isCompositeType,
  Kind,
  parse,
  visit,
  type DirectiveNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  isListType,
  getNullableType,
  isObjectType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';

/** One generated operation, ready to send. */
export interface GeneratedOperation {
  query: string;
  variables: Record<string, unknown>;
}

/** Ids of seeded rows, for the arguments that name one (`user(id:)` …). */
export interface KnownIds {
  User: string[];
  Product: string[];
  Review: string[];
}

/** How far a generated operation may go: composite levels, and list fields on one path. */
const MAX_DEPTH = 7;
const MAX_LISTS = 3;
const ROOT_FIELDS = ['users', 'products', 'topProducts', 'user', 'product', 'review'];

type Gen = fc.GeneratorValue;

/** Builds one operation from the generator `g`. */
export function generateOperation(g: Gen, schema: GraphQLSchema, ids: KnownIds, { defer = false } = {}): GeneratedOperation {
  return new OperationBuilder(g, schema, ids, defer).build();
}

class OperationBuilder {
  private readonly variableDefinitions: string[] = [];
  private readonly variables: Record<string, unknown> = {};
  private readonly fragments: string[] = [];
  private names = 0;

  constructor(
    private readonly g: Gen,
    private readonly schema: GraphQLSchema,
    private readonly ids: KnownIds,
    private readonly withDefer = false,
  ) {}

  build(): GeneratedOperation {
    const query = this.schema.getQueryType()!;
    const roots = this.distinct(ROOT_FIELDS, this.int(1, 2));
    const selections = roots.map((name) => this.field(query, query.getFields()[name]!, 1, 0));
    const header = this.variableDefinitions.length ? `(${this.variableDefinitions.join(', ')})` : '';
    return { query: `query Generated${header} { ${selections.join(' ')} }\n${this.fragments.join('\n')}`, variables: this.variables };
  }

  /** One field with its arguments, directives and (for composite types) selection. */
  private field(parent: GraphQLObjectType, field: GraphQLField<unknown, unknown>, depth: number, lists: number): string {
    const alias = this.chance(0.2) ? `a${this.names++}: ` : '';
    const args = field.args.flatMap((arg) => this.argument(field, arg.name) ?? []);
    const directive = this.chance(0.1) ? this.condition() : '';
    const named = getNamedType(field.type);
    const isList = isListType(getNullableType(field.type));
    const inner = isObjectType(named) ? ` { ${this.selection(named, depth + 1, lists + (isList ? 1 : 0))} }` : '';
    return `${alias}${field.name}${args.length ? `(${args.join(', ')})` : ''}${directive}${inner}`;
  }

  /** A selection on `type`: a few of its fields, some of them behind a fragment. */
  private selection(type: GraphQLObjectType, depth: number, lists: number): string {
    const fields = Object.values(type.getFields()).filter((field) => this.canSelect(field, depth, lists));
    const leaves = fields.filter((field) => !isCompositeType(getNamedType(field.type)));
    const chosen = this.distinct(fields, this.int(1, 3));
    if (!chosen.some((field) => leaves.includes(field)) && leaves.length) chosen.push(this.pick(leaves));
    const parts = chosen.map((field) => this.field(type, field, depth, lists));
    if (this.withDefer && parts.length > 1 && this.chance(0.4)) parts.push(`...${this.defer()} { ${parts.pop()!} }`);
    if (this.chance(0.15)) return `${parts.join(' ')} ... on ${type.name} { __typename }`;
    if (this.chance(0.15)) {
      const name = `F${this.names++}`;
      this.fragments.push(`fragment ${name} on ${type.name} { ${parts.join(' ')} }`);
      return `...${name}${this.withDefer && this.chance(0.3) ? this.defer() : ''}`;
    }
    if (this.withDefer && this.chance(0.2)) return `... on ${type.name}${this.defer()} { ${parts.join(' ')} }`;
    return parts.join(' ');
  }

  /** ` @defer`, with a label (unique) or not, and an `if` by literal or variable or not at all. */
  private defer(): string {
    const args = [
      ...(this.chance(0.5) ? [`label: "d${this.names++}"`] : []),
      ...(this.chance(0.3) ? [`if: ${this.chance(0.5) ? String(this.chance(0.8)) : this.value('Boolean!', this.chance(0.8))}`] : []),
    ];
    return ` @defer${args.length ? `(${args.join(', ')})` : ''}`;
  }

  /** Whether a field can be selected here with a non-empty selection under it, within the depth and list bounds. */
  private canSelect(field: GraphQLField<unknown, unknown>, depth: number, lists: number): boolean {
    const named = getNamedType(field.type);
    if (!isObjectType(named)) return true;
    if (depth >= MAX_DEPTH) return false;
    const isList = isListType(getNullableType(field.type));
    if (isList && lists >= MAX_LISTS) return false;
    return Object.values(named.getFields()).some((child) => this.canSelect(child, depth + 1, lists + (isList ? 1 : 0)));
  }

  /** An argument in one of the ways a client can send it, or undefined to leave it out. */
  private argument(field: GraphQLField<unknown, unknown>, name: string): string | undefined {
    if (name === 'id') {
      const owner = getNamedType(field.type).name as keyof KnownIds;
      const id = this.pick(this.ids[owner]);
      return `id: ${this.value('ID!', this.chance(0.2) ? id.toUpperCase() : id)}`;
    }
    if (name !== 'first') return undefined;
    const size = this.int(1, 12);
    switch (
      this.pick(['omitted', 'literal', 'literal null', 'variable', 'variable null', 'variable default', 'variable default given'] as const)
    ) {
      case 'omitted':
        return undefined;
      case 'literal':
        return `first: ${size}`;
      case 'literal null':
        return 'first: null';
      case 'variable':
        return `first: ${this.value('Int', size)}`;
      case 'variable null':
        return `first: ${this.value('Int', null)}`;
      case 'variable default':
        return `first: ${this.variable(`Int = ${size}`)}`;
      case 'variable default given':
        return `first: ${this.variable(`Int = ${size}`, this.int(1, 12))}`;
    }
  }

  /** `@include(if:)` or `@skip(if:)`, by literal or variable. */
  private condition(): string {
    const directive = this.pick(['include', 'skip']);
    const value = this.chance(0.5);
    return ` @${directive}(if: ${this.chance(0.5) ? String(value) : this.value('Boolean!', value)})`;
  }

  /** A literal or, as often, a variable carrying it. */
  private value(type: string, value: unknown): string {
    if (this.chance(0.5) && value !== null) return JSON.stringify(value);
    return this.variable(type, value);
  }

  private variable(type: string, value?: unknown): string {
    const name = `v${this.names++}`;
    this.variableDefinitions.push(`$${name}: ${type}`);
    if (value !== undefined) this.variables[name] = value;
    return `$${name}`;
  }

  private int(min: number, max: number): number {
    return this.g(fc.integer, { min, max });
  }

  private chance(p: number): boolean {
    return this.int(0, 999) < p * 1_000;
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  private distinct<T>(items: readonly T[], count: number): T[] {
    const pool = [...items];
    const chosen: T[] = [];
    while (chosen.length < count && pool.length) chosen.push(pool.splice(this.int(0, pool.length - 1), 1)[0]!);
    return chosen;
  }
}

/**
 * Whether some object field of `query` selects nothing once `@skip`/`@include` are applied with
 * `variables` (every selection under it excluded, through fragments): Apollo Gateway answers such a
 * field `null` (and so its non-null parents, up to `data: null`) where the spec has `{}`, and its
 * deferred path answers it otherwise again ([@defer](../../docs/defer.md#not-yet)).
 */
export function selectsNothingSomewhere(query: string, variables: Record<string, unknown>): boolean {
  const document = parse(query);
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  const included = (node: { directives?: readonly DirectiveNode[] }) =>
    (node.directives ?? []).every((directive) => {
      const condition = directive.arguments?.find((a) => a.name.value === 'if')?.value;
      const value =
        condition?.kind === Kind.VARIABLE
          ? variables[condition.name.value]
          : condition?.kind === Kind.BOOLEAN
            ? condition.value
            : undefined;
      if (directive.name.value === 'skip') return value !== true;
      if (directive.name.value === 'include') return value !== false;
      return true;
    });
  const selectsSomething = (set: SelectionSetNode): boolean =>
    set.selections.some((selection) => {
      if (!included(selection)) return false;
      if (selection.kind === Kind.FIELD) return true;
      if (selection.kind === Kind.INLINE_FRAGMENT) return selectsSomething(selection.selectionSet);
      const fragment = fragments.get(selection.name.value);
      return fragment !== undefined && selectsSomething(fragment.selectionSet);
    });
  let found = false;
  visit(document, {
    Field(field) {
      if (field.selectionSet && !selectsSomething(field.selectionSet)) found = true;
    },
  });
  return found;
}
