import fc from 'fast-check';
import type { GraphQLResponse } from './graphql-http.js';

/** Runs the mutation with `{ input }` and answers its result. */
type ExecuteInput = (variables: { input: Record<string, unknown> }) => Promise<GraphQLResponse<unknown>>;

/** Options of {@link unstorableInEveryTextField}. */
export interface UnstorableTextOptions {
  execute: ExecuteInput;
  /** A valid input; each of `fields` is tried with an unstorable character put into it. */
  input: Record<string, unknown>;
  /** Text fields of the input, by path under it (`name`, `price.currency`). */
  fields: string[];
  /** Rows in the table the mutation writes to. */
  count: () => Promise<number>;
}

/**
 * What text cannot hold and be stored as it was sent: U+0000 (PostgreSQL refuses it, so the
 * write failed as an internal error) and a UTF-16 surrogate with no partner (UTF-8 cannot encode
 * it: it was silently stored as U+FFFD).
 */
export const unstorableCharacter: fc.Arbitrary<string> = fc.oneof(
  fc.constant('\u0000'),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit)),
);

/**
 * A property: whichever text field of the input holds an unstorable character
 * ({@link unstorableCharacter}), wherever in the text (between ASCII, so a surrogate stays
 * unpaired), the mutation answers BAD_USER_INPUT naming `input.<field>`, and writes nothing.
 */
export async function unstorableInEveryTextField({ execute, input, fields, count }: UnstorableTextOptions, numRuns = 40): Promise<void> {
  const before = await count();
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...fields),
      fc.string({ maxLength: 20 }),
      unstorableCharacter,
      fc.string({ maxLength: 20 }),
      async (field, head, bad, tail) => {
        const poisoned = structuredClone(input);
        const path = field.split('.');
        let target = poisoned;
        for (const key of path.slice(0, -1)) target = target[key] as Record<string, unknown>;
        target[path.at(-1)!] = `${head}${bad}${tail}`;
        const { data, errors } = await execute({ input: poisoned });
        const shown = JSON.stringify(bad);
        if (data) throw new Error(`written with ${shown} in ${field}`);
        if (errors?.[0]?.extensions?.code !== 'BAD_USER_INPUT' || errors[0].extensions.field !== `input.${field}`) {
          throw new Error(`expected BAD_USER_INPUT on input.${field} for ${shown}, got ${JSON.stringify(errors)}`);
        }
      },
    ),
    { numRuns },
  );
  if ((await count()) !== before) throw new Error('a mutation refused for unstorable text still wrote a row');
}

/** Options of {@link characterLimitHolds}. */
export interface CharacterLimitOptions {
  execute: ExecuteInput;
  /** A fresh valid input for each try (unique fields unique); `field` is then set. */
  input: () => Record<string, unknown>;
  /** The text field under the input whose limit is checked. */
  field: string;
  /** Most characters (code points) it takes. */
  limit: number;
}

/**
 * A property: a text of exactly `limit` characters — any mix of one-unit and two-unit (astral)
 * ones, so UTF-16 length and character count differ — is written; one character more is
 * BAD_USER_INPUT naming `input.<field>`.
 */
export async function characterLimitHolds({ execute, input, field, limit }: CharacterLimitOptions, numRuns = 6): Promise<void> {
  const character = fc.constantFrom('a', 'é', '中', '💥', '𝄞', '👍🏽'.slice(0, 2));
  await fc.assert(
    fc.asyncProperty(fc.array(character, { minLength: limit + 1, maxLength: limit + 1 }), async (chars) => {
      const send = (text: string) => execute({ input: { ...input(), [field]: text } });
      const atLimit = await send(chars.slice(0, limit).join(''));
      if (atLimit.errors) throw new Error(`${limit} characters in ${field} refused: ${JSON.stringify(atLimit.errors)}`);
      const over = await send(chars.join(''));
      if (over.data || over.errors?.[0]?.extensions?.field !== `input.${field}`)
        throw new Error(`${limit + 1} characters in ${field} not refused: ${JSON.stringify(over)}`);
    }),
    { numRuns },
  );
}
