/** Why `migrate()` or `createMigration()` refused or failed. */
export type MigrationErrorCode =
  /** A migration is recorded as failed in `_prisma_migrations`; the database needs a person. */
  | 'MIGRATION_FAILED'
  /** An applied migration's `migration.sql` changed since it ran (checksum mismatch). */
  | 'MIGRATION_EDITED'
  /** A migration's SQL failed just now; it is rolled back and recorded as failed. */
  | 'MIGRATION_SCRIPT_FAILED'
  /** Any other error reported by the schema engine. */
  | 'SCHEMA_ENGINE_ERROR';

/** Error thrown by this package's migration functions; `database` names the database concerned. */
export class MigrationError extends Error {
  override name = 'MigrationError';

  constructor(
    readonly code: MigrationErrorCode,
    readonly database: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`[${database}] ${message}`, options);
  }
}

/** An error of the schema engine, split into what a reader of the log needs. */
export interface EngineFailure {
  /** The message without the Rust span trace ("   0: sql_schema_connector::…") that follows it. */
  message: string;
  /** The migration the engine was applying when it failed, if any (named in that trace). */
  migrationName?: string;
}

/** Reads an error thrown by the schema engine. */
export function describeEngineError(error: unknown): EngineFailure {
  const text = error instanceof Error ? error.message : String(error);
  const message = text.split(/\n\s+0: /)[0]!.trim();
  const migrationName = /migration_name="([^"]+)"/.exec(text)?.[1];
  return migrationName === undefined ? { message } : { message, migrationName };
}
