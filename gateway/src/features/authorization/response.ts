import type { GraphQLFormattedError } from 'graphql';
import { GatewayErrorCode } from '../../errors.js';
import type { ResponsePath } from './filter.js';

/** The error of a field or type the caller may not see, as Apollo Router words it. */
export function unauthorizedError(path: ResponsePath): GraphQLFormattedError {
  return { message: 'Unauthorized field or type', path, extensions: { code: GatewayErrorCode.UnauthorizedFieldOrType } };
}

/**
 * Puts a null at each place (`@` meaning every item of a list) in a result whose operation
 * had those fields taken out, so the response has the shape the client asked for. Places under
 * an object that is itself null are left alone.
 */
export function insertNulls(data: Record<string, unknown>, places: ResponsePath[]): void {
  for (const place of places) setNull(data, place);
}

function setNull(value: unknown, path: ResponsePath): void {
  if (value === null || typeof value !== 'object') return;
  const [head, ...rest] = path;
  if (head === '@') {
    if (!Array.isArray(value)) return;
    if (rest.length === 0) value.fill(null);
    else for (const item of value) setNull(item, rest);
    return;
  }
  if (head === undefined || Array.isArray(value)) return;
  const object = value as Record<string, unknown>;
  if (rest.length === 0) object[head] = null;
  else setNull(object[head], rest);
}

/** Takes out the `__typename` the filter asked for in place of everything taken out of each object at `places` (`@`: every item of a list). */
export function removePlaceholders(data: Record<string, unknown>, places: ResponsePath[]): void {
  for (const place of places) removeTypename(data, place);
}

function removeTypename(value: unknown, path: ResponsePath): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    if (path[0] === '@') for (const item of value) removeTypename(item, path.slice(1));
    return;
  }
  const object = value as Record<string, unknown>;
  if (path.length === 0) delete object.__typename;
  else removeTypename(object[path[0]!], path.slice(1));
}

/** The `data` of an operation none of which may run: nulls where it asked, or null altogether. */
export function dataOfNothing(places: ResponsePath[], dataIsNull: boolean): Record<string, unknown> | null {
  if (dataIsNull) return null;
  const data: Record<string, unknown> = {};
  for (const place of places) if (place.length === 1) data[place[0]!] = null;
  return data;
}
