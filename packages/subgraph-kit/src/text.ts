/**
 * How long a text is, in characters as a reader and PostgreSQL count them (Unicode code points),
 * not in UTF-16 units: "💥" is one character, where `.length` says 2, so a limit of 5,000
 * characters refused 2,501 emoji.
 */
export function characters(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}
