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
