/**
 * A factory's options over its defaults, the one place they are applied: an option left out, or
 * given as `undefined` (an unset variable), takes its default. Each default is written once, in
 * the factory's `…_DEFAULTS` object; configuration and documentation refer to that object.
 */
export function withDefaults<D extends object, O extends { [K in keyof D]?: D[K] | undefined }>(
  defaults: D,
  options: O,
): D & Omit<O, keyof D> {
  const merged: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [name, value] of Object.entries(options)) if (value !== undefined) merged[name] = value;
  return merged as D & Omit<O, keyof D>;
}
