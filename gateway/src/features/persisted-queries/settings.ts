/** Automatic persisted queries and trusted documents (`APQ_*`, `PERSISTED_QUERIES_MODE`, `DEVELOPER_KEYS`, `PQ_MANIFEST_REFRESH_MS`). */
export interface PersistedQueriesSettings {
  /** How long a registered APQ stays in Redis. @default 86_400 */
  apqTtlSeconds: number;
  /** Largest query text an APQ registration stores, in bytes. @default 131_072 */
  apqMaxBytes: number;
  /** Trusted documents: `off`, `allow` or `enforce` (both need `redis`). @default 'off' */
  mode: 'off' | 'allow' | 'enforce';
  /** Keys that let a developer run free-form queries in `enforce` mode. @default [] */
  developerKeys: readonly string[];
  /** How often the manifest is re-read from Redis. @default 10_000 */
  manifestRefreshMs: number;
}

/** Every default of the persisted queries, written once. */
export const PERSISTED_QUERIES_DEFAULTS: PersistedQueriesSettings = {
  apqTtlSeconds: 86_400,
  apqMaxBytes: 131_072,
  mode: 'off',
  developerKeys: [],
  manifestRefreshMs: 10_000,
};
