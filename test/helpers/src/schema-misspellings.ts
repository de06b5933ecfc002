/**
 * Requests that name something of a schema wrongly, as a client guessing at a schema without
 * introspection would: generated misspellings of every root field, the fields of what they
 * return, every argument, every input field at any depth (in a variable's value and in a
 * literal), and every enum value. Each answer must be an error; none may suggest the real name.
 */
import fc from 'fast-check';
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';

/** One request that names something of the schema wrongly. */
export interface Probe {
  query: string;
  variables?: Record<string, unknown>;
}

/** A name changed the way a typo changes it: a letter dropped, doubled, swapped, replaced or recased. */
const misspelling = (name: string) =>
  fc
    .tuple(
      fc.nat(Math.max(0, name.length - 1)),
      fc.constantFrom('drop', 'double', 'swap', 'replace', 'case'),
      fc.constantFrom(...'aeiouxz'),
    )
    .map(([i, how, letter]) => {
      const c = name[i] ?? '';
      if (how === 'drop') return name.slice(0, i) + name.slice(i + 1);
      if (how === 'double') return name.slice(0, i) + c + name.slice(i);
      if (how === 'swap') return name.slice(0, i) + (name[i + 1] ?? '') + c + name.slice(i + 2);
      if (how === 'replace') return name.slice(0, i) + letter + name.slice(i + 1);
      return name.slice(0, i) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + name.slice(i + 1);
    })
    .filter((typo) => typo !== name && /^[_A-Za-z][_0-9A-Za-z]*$/.test(typo));

/** A value of an input type that coerces: the required fields filled, all the way down. */
function sampleValue(type: GraphQLInputType): unknown {
  const nullable = getNullableType<GraphQLInputType>(type);
  if (isListType(nullable)) return [sampleValue(nullable.ofType)];
  if (isInputObjectType(nullable)) {
    return Object.fromEntries(
      Object.values(nullable.getFields())
        .filter((f) => isNonNullType(f.type))
        .map((f) => [f.name, sampleValue(f.type)]),
    );
  }
  if (isEnumType(nullable)) return nullable.getValues()[0]!.name;
  return { Int: 1, Float: 1.5, Boolean: true }[nullable.name] ?? 'x';
}

/** The GraphQL type of a variable of this input type, as written in a document. */
const typeName = (type: GraphQLInputType): string => String(type);

/** Root fields with their arguments filled with coercing values, as `name(args)` and the variables. */
function call(field: GraphQLField<unknown, unknown>, override?: { arg: GraphQLArgument; value: unknown }) {
  const args = field.args.filter((a) => isNonNullType(a.type) || a === override?.arg);
  const definitions = args.map((a) => `$${a.name}: ${typeName(a.type)}`);
  const variables = Object.fromEntries(args.map((a) => [a.name, a === override?.arg ? override.value : sampleValue(a.type)]));
  const selection = isObjectType(getNamedType(field.type)) ? ' { __typename }' : '';
  return {
    definitions,
    invocation: `${field.name}${args.length ? `(${args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : ''}${selection}`,
    variables,
  };
}

/** Every way to name something of `schema` wrongly, each a generator of probes. */
export function misspeltNames(schema: GraphQLSchema): fc.Arbitrary<Probe> {
  const roots = [schema.getQueryType(), schema.getMutationType()].filter((t): t is GraphQLObjectType => t !== null && t !== undefined);
  const kinds: Array<fc.Arbitrary<Probe>> = [];
  for (const root of roots) {
    const keyword = root === schema.getMutationType() ? 'mutation' : 'query';
    for (const field of Object.values(root.getFields())) {
      // The field's own name, misspelt.
      kinds.push(misspelling(field.name).map((typo) => ({ query: `${keyword} { ${typo} { __typename } }` })));
      // Its fields, misspelt in the selection.
      const type = getNamedType(field.type);
      if (isObjectType(type)) {
        const { definitions, invocation, variables } = call(field);
        const names = Object.keys(type.getFields());
        kinds.push(
          fc
            .constantFrom(...names)
            .chain((name) => misspelling(name).filter((typo) => !names.includes(typo)))
            .map((typo) => ({
              query: `${keyword}${definitions.length ? `(${definitions.join(', ')})` : ''} { ${invocation.replace(' { __typename }', ` { ${typo} }`)} }`,
              variables,
            })),
        );
      }
      for (const arg of field.args) {
        // The argument's name, misspelt in a literal.
        kinds.push(
          misspelling(arg.name)
            .filter((typo) => !field.args.some((a) => a.name === typo))
            .map((typo) => ({ query: `${keyword} { ${field.name}(${typo}: null) { __typename } }` })),
        );
        const argType = getNullableType(arg.type);
        // Each input field, at any depth, misspelt in a variable's value and in a literal.
        if (isInputObjectType(argType)) kinds.push(...inputFieldProbes(keyword, field, arg));
        // Each enum value, misspelt in a variable and in a literal.
        if (isEnumType(argType)) {
          const values = argType.getValues().map((v) => v.name);
          kinds.push(
            fc
              .constantFrom(...values)
              .chain((v) => misspelling(v).filter((typo) => !values.includes(typo)))
              .map((typo) => {
                const { definitions, invocation, variables } = call(field, { arg, value: typo });
                return { query: `${keyword}(${definitions.join(', ')}) { ${invocation} }`, variables };
              }),
          );
        }
      }
    }
  }
  return fc.oneof(...kinds);
}

/** An argument of input object type, filled, with one input field name at some depth misspelt: as a variable and as a literal. */
function inputFieldProbes(keyword: string, field: GraphQLField<unknown, unknown>, arg: GraphQLArgument): Array<fc.Arbitrary<Probe>> {
  const paths: string[][] = [];
  const walk = (type: GraphQLInputType, path: string[]) => {
    const nullable = getNullableType(type);
    if (!isInputObjectType(nullable) || path.length > 4) return;
    for (const inner of Object.values(nullable.getFields())) {
      paths.push([...path, inner.name]);
      walk(inner.type, [...path, inner.name]);
    }
  };
  walk(arg.type, []);
  if (paths.length === 0) return [];
  const misspeltValue = fc.constantFrom(...paths).chain((path) =>
    misspelling(path.at(-1)!).map((typo) => {
      const value = sampleValue(arg.type) as Record<string, unknown>;
      let at = value;
      for (const key of path.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
      delete at[path.at(-1)!];
      at[typo] = 'x';
      return value;
    }),
  );
  const literal = (value: unknown): string =>
    Array.isArray(value)
      ? `[${value.map(literal).join(', ')}]`
      : typeof value === 'object' && value !== null
        ? `{ ${Object.entries(value)
            .map(([k, v]) => `${k}: ${literal(v)}`)
            .join(', ')} }`
        : JSON.stringify(value);
  return [
    misspeltValue.map((value) => {
      const { definitions, invocation, variables } = call(field, { arg, value });
      return { query: `${keyword}(${definitions.join(', ')}) { ${invocation} }`, variables };
    }),
    misspeltValue.map((value) => ({ query: `${keyword} { ${field.name}(${arg.name}: ${literal(value)}) { __typename } }` })),
  ];
}
