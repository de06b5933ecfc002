/**
 * PostgreSQL's write-ahead log positions (`pg_lsn`, written `16/B374D848`): a 64-bit byte offset
 * as two hexadecimal halves. As bigints they compare and subtract exactly.
 */

/** The position a `pg_lsn` text names. Throws a TypeError on anything else. */
export function parseLsn(text: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!match) throw new TypeError(`Not a WAL position (pg_lsn): ${JSON.stringify(text)}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** A position as PostgreSQL writes it (upper-case hexadecimal halves). */
export function formatLsn(lsn: bigint): string {
  if (lsn < 0n || lsn >= 1n << 64n) throw new RangeError(`Not a WAL position: ${lsn}`);
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}
