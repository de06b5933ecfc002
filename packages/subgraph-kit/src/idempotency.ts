import { ErrorCode, type Identity } from '@tessera/service-kit';
import { GraphQLError } from 'graphql';

/** How long a key's first response is kept and replayed (the IETF draft suggests at least 24 h). */
export const IDEMPOTENCY_TTL_HOURS = 24;

/** A mutation's `Idempotency-Key` as the gateway forwards it (in the signed body's extensions), with the fingerprint of the request it came with. */
export interface IdempotencyRequest {
  key: string;
  fingerprint: string;
}

/** Reads what the gateway put in `extensions.idempotency`; anything else is none. */
export function idempotencyOf(extensions: unknown): IdempotencyRequest | undefined {
  const value = (extensions as { idempotency?: unknown } | undefined)?.idempotency as Partial<IdempotencyRequest> | undefined;
  if (typeof value?.key !== 'string' || typeof value.fingerprint !== 'string') return undefined;
  return { key: value.key, fingerprint: value.fingerprint };
}

/** The raw-SQL surface of a Prisma client or transaction client. */
export interface RawSql {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number>;
  $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<T>;
}

/** A Prisma client: raw SQL, and interactive transactions handing out a `Tx`. */
export interface TransactionalClient<Tx extends RawSql> extends RawSql {
  $transaction<R>(work: (tx: Tx) => Promise<R>, options?: { maxWait?: number; timeout?: number }): Promise<R>;
}

/** One request's mutations, run once per idempotency key. */
export interface IdempotentWrites<Tx> {
  /**
   * Runs `write` (its database writes on `tx`) for the mutation field at `path`. Without a key,
   * simply runs it. With one: the first request with this key writes, and its response is stored
   * with the write in the same transaction; a later or concurrent request with the same key and
   * the same fingerprint gets that response and writes nothing; a different fingerprint is
   * `IDEMPOTENCY_KEY_REUSED`. A write that fails stores nothing, so a retry tries again.
   */
  once<T>(path: string, write: (tx: Tx) => Promise<T>): Promise<T>;
}

interface StoredRow {
  fingerprint: string;
  response: { value: unknown } | null;
}

/** Options of {@link createIdempotentWrites}: the database's own limits (`SubgraphConfig['database']`). */
export interface IdempotentWritesOptions {
  /** Longest wait for a connection to start the transaction. */
  acquireTimeoutMs: number;
  /** The statement timeout; the transaction may run as long (5 s when there is none). */
  statementTimeoutMs: number;
}

/** The idempotent-write helper of one request, on the subgraph's own database (table `idempotency_keys`). */
export function createIdempotentWrites<Tx extends RawSql>(
  db: TransactionalClient<Tx> & Tx,
  { identity, idempotency }: { identity: Identity; idempotency?: IdempotencyRequest },
  { acquireTimeoutMs, statementTimeoutMs }: IdempotentWritesOptions,
): IdempotentWrites<Tx> {
  if (!idempotency) return { once: (_path, write) => write(db) };
  const caller = identity.sub ?? '';
  const { key, fingerprint } = idempotency;
  return {
    async once<T>(path: string, write: (tx: Tx) => Promise<T>): Promise<T> {
      const replay = (row: StoredRow): T => {
        if (row.fingerprint !== fingerprint) throw keyReused();
        return row.response?.value as T;
      };
      // A retry after the first one committed: answered without opening a transaction.
      const earlier = await find(db, caller, key, path);
      if (earlier?.response) return replay(earlier);
      return db.$transaction(
        async (tx) => {
          await tx.$executeRaw`
            DELETE FROM idempotency_keys
            WHERE caller = ${caller} AND key = ${key} AND path = ${path}
              AND created_at < now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS}::int)`;
          // A concurrent twin's uncommitted row makes this wait until that transaction ends:
          // then 0 rows (it committed: replay its response) or 1 (it rolled back: write).
          const inserted = await tx.$executeRaw`
            INSERT INTO idempotency_keys (caller, key, path, fingerprint)
            VALUES (${caller}, ${key}, ${path}, ${fingerprint})
            ON CONFLICT DO NOTHING`;
          if (inserted === 0) return replay((await find(tx, caller, key, path))!);
          const result = await write(tx);
          await tx.$executeRaw`
            UPDATE idempotency_keys SET response = ${JSON.stringify({ value: result })}::jsonb
            WHERE caller = ${caller} AND key = ${key} AND path = ${path}`;
          return result;
        },
        { maxWait: acquireTimeoutMs, timeout: statementTimeoutMs || 5_000 },
      );
    },
  };
}

/** The key's unexpired row for this field, if any. */
async function find(sql: RawSql, caller: string, key: string, path: string): Promise<StoredRow | undefined> {
  const rows = await sql.$queryRaw<StoredRow[]>`
    SELECT fingerprint, response FROM idempotency_keys
    WHERE caller = ${caller} AND key = ${key} AND path = ${path}
      AND created_at >= now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS}::int)`;
  return rows[0];
}

/** Deletes keys older than the TTL; returns how many. Run periodically by the subgraph runtime. */
export async function sweepIdempotencyKeys(sql: RawSql): Promise<number> {
  return sql.$executeRaw`DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS}::int)`;
}

function keyReused(): GraphQLError {
  return new GraphQLError('This Idempotency-Key was already used with a different operation or input; use a new key for a new request.', {
    extensions: { code: ErrorCode.IdempotencyKeyReused },
  });
}
