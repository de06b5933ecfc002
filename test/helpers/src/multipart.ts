import { parse, print, visit, type DocumentNode } from 'graphql';

/**
 * Reading a `multipart/mixed; deferSpec=20220824` answer as a client does: its parts' JSON bodies,
 * and the whole answer they make once each incremental item is merged where its path says.
 */

type Json = Record<string, unknown>;

/** The JSON body of every part, in order (boundary `-`, as Apollo Server and Apollo Router send it). */
export function multipartBodies(
  text: string,
): Array<Json & { hasNext?: boolean; incremental?: Array<Json & { path: Array<string | number> }> }> {
  return text
    .split(/\r\n---/)
    .map((part) => part.slice(part.indexOf('\r\n\r\n') + 4).trim())
    .filter((body) => body.startsWith('{'))
    .map((body) => JSON.parse(body) as Json);
}

/** The answer the parts make: the first part's data and errors, each incremental item's data merged at its path and its errors added. */
export function mergeParts(text: string): { data?: unknown; errors?: unknown[] } {
  return mergeResults(multipartBodies(text));
}

/** The same for results that came one by one (a `next` each, over graphql-ws or graphql-sse). */
export function mergeResults(results: Array<Json & { incremental?: Array<Json & { path: Array<string | number> }> }>): {
  data?: unknown;
  errors?: unknown[];
} {
  const [first, ...rest] = structuredClone(results);
  const data = first?.data as Json | null | undefined;
  const errors = [...((first?.errors as unknown[]) ?? [])];
  for (const part of rest) {
    for (const item of part.incremental ?? []) {
      if (item.errors) errors.push(...(item.errors as unknown[]));
      let target: unknown = data;
      for (const step of item.path) target = (target as Record<string | number, unknown> | null)?.[step];
      if (item.data && target && typeof target === 'object') deepMerge(target as Json, item.data as Json);
    }
  }
  return { ...(errors.length > 0 && { errors }), ...(first && 'data' in first && { data }) };
}

function deepMerge(target: Json, source: Json): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (Array.isArray(existing) && Array.isArray(value)) value.forEach((v, i) => mergeValue(existing, i, v));
    else if (isObject(existing) && isObject(value)) deepMerge(existing, value);
    else target[key] = value;
  }
}

function mergeValue(target: unknown[], index: number, value: unknown): void {
  const existing = target[index];
  if (isObject(existing) && isObject(value)) deepMerge(existing, value);
  else target[index] = value;
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The same document without `@defer` (and without the variables only its `if` used): what it must answer as. */
export function withoutDefer(query: string): string {
  const stripped = visit(parse(query), { Directive: (node) => (node.name.value === 'defer' ? null : undefined) });
  return print(
    visit(stripped, {
      // A definition's own `$name` is a Variable node too: count only the uses outside definitions.
      VariableDefinition: (node) => (usesOutsideDefinitions(stripped, node.variable.name.value) ? undefined : null),
    }),
  );
}

function usesOutsideDefinitions(document: DocumentNode, name: string): boolean {
  let found = false;
  visit(document, {
    VariableDefinition: () => false,
    Variable: (node) => void (node.name.value === name && (found = true)),
  });
  return found;
}
