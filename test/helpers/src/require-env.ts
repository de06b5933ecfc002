/**
 * The value of environment variable `name`; throws when it is unset or empty, so a test
 * that needs a server fails (never skips) when the server is missing.
 *
 * @param hint - How to provide the variable, appended to the error message.
 * @default hint - run through `pnpm test`, which provides every TEST_* variable
 */
export function requireEnv(
  name: string,
  hint = 'Run the tests with `pnpm test` (scripts/test-services/run.sh starts PostgreSQL and ' +
    'Redis and sets it), or set it to a server of your own.',
): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set. ${hint}`);
  return value;
}
