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
  // One signature for pg's many overloads: (text | config, values?, callback?).
  override query(...args: any[]): any {
    const [config] = args;
    // Cursors and streams (objects with `submit`) deliver rows themselves; leave them alone.
    if (config && typeof config.submit === 'function') return (super.query as any)(...args);
    const callbackAt = args.findIndex((arg, index) => index > 0 && typeof arg === 'function');
    if (callbackAt !== -1) {
      const callback = args[callbackAt];
      args[callbackAt] = (error: unknown, result: unknown) => callback(error, error ? result : reportCharAsText(result));
      return (super.query as any)(...args);
    }
    const result = (super.query as any)(...args);
    return typeof result?.then === 'function' ? result.then(reportCharAsText) : result;
  }
}

/** Rewrites the field descriptions of one result, or of each result of a multi-statement query. */
function reportCharAsText<T>(result: T): T {
  for (const one of Array.isArray(result) ? result : [result]) {
    for (const field of (one as Partial<pg.QueryResult> | undefined)?.fields ?? []) {
      if (field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
    }
  }
  return result;
}
