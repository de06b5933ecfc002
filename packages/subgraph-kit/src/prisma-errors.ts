/**
 * Reading Prisma's known request errors without importing a particular generated client.
 * With driver adapters the violated columns sit in `meta.driverAdapterError.cause.constraint`;
 * the native engine put them in `meta.target`. Both are read.
 */
interface KnownRequestError {
  code: string;
  meta?: {
    target?: string[] | string;
    driverAdapterError?: { cause?: { constraint?: { fields?: string[]; index?: string } } };
  };
}

function isKnownRequestError(error: unknown): error is KnownRequestError {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string';
}

/**
 * What names the violated unique constraint (P2002): its columns, or, where the driver
 * reports only the index (PostgreSQL through `pg` does), the index name, such as
 * `users_email_key`. Null when `error` is something else.
 */
export function uniqueViolationFields(error: unknown): string[] | null {
  if (!isKnownRequestError(error) || error.code !== 'P2002') return null;
  const constraint = error.meta?.driverAdapterError?.cause?.constraint;
  const fields = constraint?.fields ?? (constraint?.index ? [constraint.index] : undefined) ?? error.meta?.target ?? [];
  return Array.isArray(fields) ? fields : [fields];
}

/** Whether a unique violation's constraint (columns or index name) involves `column`. */
export function violates(fields: string[] | null, column: string): boolean {
  return fields?.some((field) => field === column || field.includes(`_${column}_`)) ?? false;
}

/** Whether `error` is Prisma's "record to update or delete does not exist" (P2025). */
export function isRecordNotFound(error: unknown): boolean {
  return isKnownRequestError(error) && error.code === 'P2025';
}

/** Prisma's codes for a database it cannot reach or cannot get a connection to in time. */
const UNREACHABLE_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);
/** What the driver adapter reports for the same. */
const UNREACHABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'DatabaseDoesNotExist',
]);
/** SQLSTATEs of a server going away or refusing connections (class 08, admin shutdown, starting up). */
const UNREACHABLE_SQLSTATES = /^(08...|57P01|57P02|57P03|53300)$/;
/** pg's own errors when the pool cannot hand out a connection or the socket breaks. */
const UNREACHABLE_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|ECONNREFUSED|ECONNRESET|Client has encountered a connection error/;

/**
 * What a database failure means to a client: `DATABASE_UNAVAILABLE` (refused, unreachable, no
 * connection free within the acquire timeout, shutting down: try again later) or
 * `DEADLINE_EXCEEDED` (PostgreSQL cancelled the statement at `statement_timeout`, SQLSTATE 57014).
 * Undefined for anything else (a bug: masked as an internal error).
 */
export function databaseFailureCode(error: unknown): 'DATABASE_UNAVAILABLE' | 'DEADLINE_EXCEEDED' | undefined {
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    const known = current as KnownRequestError & { message?: string };
    const sqlstate = sqlstateOf(current);
    if (sqlstate === '57014') return 'DEADLINE_EXCEEDED';
    if (
      UNREACHABLE_CODES.has(known.code) ||
      UNREACHABLE_KINDS.has(adapterCause(current)?.kind ?? '') ||
      UNREACHABLE_SQLSTATES.test(sqlstate ?? '')
    )
      return 'DATABASE_UNAVAILABLE';
    if (UNREACHABLE_MESSAGES.test(known.message ?? '')) return 'DATABASE_UNAVAILABLE';
  }
  return undefined;
}

/**
 * Whether a read on a hot standby was cancelled for a conflict with recovery (SQLSTATE 40001 or
 * 40P01: replay needed rows or a lock the read held): the read may run again elsewhere.
 */
export function isRecoveryConflict(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++)
    if (/^40(001|P01)$/.test(sqlstateOf(current) ?? '')) return true;
  return false;
}

/** The driver adapter's cause of a Prisma error, if any. */
function adapterCause(error: unknown): { kind?: string; originalCode?: string; code?: string } | undefined {
  return (error as { meta?: { driverAdapterError?: { cause?: { kind?: string; originalCode?: string; code?: string } } } }).meta
    ?.driverAdapterError?.cause;
}

/** PostgreSQL's SQLSTATE behind a Prisma error, if any. */
function sqlstateOf(error: unknown): string | undefined {
  const cause = adapterCause(error);
  return cause?.originalCode ?? cause?.code;
}
