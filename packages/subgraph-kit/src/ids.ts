const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a UUID — the form of every Tessera id; anything else cannot match a row. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
