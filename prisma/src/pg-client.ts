import pg from 'pg';

/** PostgreSQL's internal one-byte `"char"` type (not `char(n)`, which is `bpchar`). */
const CHAR_OID = 18;
const TEXT_OID = 25;

/**
 * A `pg.Client` whose query results report `"char"` columns as `text`.
 *
 * `@prisma/adapter-pg` (6.16–7.10) has no column type for OID 18 and fails with "Column type
 * 'char' could not be deserialized". The schema engine reads such a column
 * (`pg_constraint.contype`) whenever it describes the database, so migrations break without
 * this. The value itself is already a one-character string; only the reported type changes.
 * Give it to a pool with `new pg.Pool({ Client: CharAsTextClient })`.
 */
export class CharAsTextClient extends pg.Client {
  // One signature for pg's many overloads, (text | config, values?, callback?), each returning
  // something else: only `any` is assignable to them all.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an override of pg.Client's overloaded query() must return what each overload does
  override query(...args: unknown[]): any {
    return queryReportingCharAsText((...given) => (super.query as (...given: unknown[]) => unknown)(...given), args);
  }
}

/** Runs `query` with `args`, with the results, however they are delivered, reporting `"char"` columns as `text`. */
function queryReportingCharAsText(query: (...args: unknown[]) => unknown, args: unknown[]): unknown {
  const [config] = args;
  // Cursors and streams (objects with `submit`) deliver rows themselves; leave them alone.
  if (typeof (config as { submit?: unknown } | undefined)?.submit === 'function') return query(...args);
  const callbackAt = args.findIndex((arg, index) => index > 0 && typeof arg === 'function');
  if (callbackAt !== -1) {
    const callback = args[callbackAt] as (error: unknown, result: unknown) => void;
    args[callbackAt] = (error: unknown, result: unknown) => callback(error, error ? result : reportCharAsText(result));
    return query(...args);
  }
  const result = query(...args);
  return isThenable(result) ? result.then(reportCharAsText) : result;
}

const isThenable = (value: unknown): value is Promise<unknown> => typeof (value as { then?: unknown } | null)?.then === 'function';

/** Rewrites the field descriptions of one result, or of each result of a multi-statement query. */
function reportCharAsText<T>(result: T): T {
  for (const one of Array.isArray(result) ? result : [result]) {
    for (const field of (one as Partial<pg.QueryResult> | undefined)?.fields ?? []) {
      if (field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
    }
  }
  return result;
}
