import fc from 'fast-check';

/** Options of {@link nulInEveryTextField}. */
export interface NulInTextOptions {
  /** Runs the mutation with `{ input }` and answers its result. */
  execute(variables: { input: Record<string, unknown> }): Promise<{ data?: any; errors?: any[] }>;
  /** A valid input; each of `fields` is tried with U+0000 put into it. */
  input: Record<string, unknown>;
  /** Text fields of the input, by path under it (`name`, `price.currency`). */
  fields: string[];
  /** Rows in the table the mutation writes to. */
  count(): Promise<number>;
}

/**
 * A property: whichever text field of the input holds U+0000, wherever in the text, the
 * mutation answers BAD_USER_INPUT naming `input.<field>`, and writes nothing. PostgreSQL
 * cannot store the character, so without the check the write fails as an internal error.
 */
export async function nulInEveryTextField({ execute, input, fields, count }: NulInTextOptions, numRuns = 40): Promise<void> {
  const before = await count();
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...fields), fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), async (field, head, tail) => {
      const poisoned = structuredClone(input);
      const path = field.split('.');
      let target = poisoned as Record<string, any>;
      for (const key of path.slice(0, -1)) target = target[key];
      target[path.at(-1)!] = `${head}\u0000${tail}`;
      const { data, errors } = await execute({ input: poisoned });
      if (data) throw new Error(`written with U+0000 in ${field}`);
      if (errors?.[0]?.extensions?.code !== 'BAD_USER_INPUT' || errors[0].extensions.field !== `input.${field}`) {
        throw new Error(`expected BAD_USER_INPUT on input.${field}, got ${JSON.stringify(errors)}`);
      }
    }),
    { numRuns },
  );
  if ((await count()) !== before) throw new Error('a mutation refused for U+0000 still wrote a row');
}
