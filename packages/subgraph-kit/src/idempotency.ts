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
   * Runs `write` (its database writes on `tx`) for the mutation root field whose response key is
   * `path`. Without a key, simply runs it. With one, the key belongs to one operation — the
   * caller's key, with the fingerprint of the operation and input it first came with:
   * - the first request with this key writes, and the field's response is stored with the write
   *   in the same transaction;
   * - a later or concurrent request with the same key and fingerprint gets that response and
   *   writes nothing (each root field of the operation its own stored response);
   * - any other operation or input with this key — another mutation, the same one under an
   *   alias, other variables — is `IDEMPOTENCY_KEY_REUSED`, and writes nothing.
   * A write that fails stores nothing of its own, so a retry tries again.
   */
  once<T>(path: string, write: (tx: Tx) => Promise<T>): Promise<T>;
}

interface StoredRow {
  fingerprint: string;
  /** The response of each root field written so far, by its response key. */
  responses: Record<string, unknown>;
}

/** Options of {@link createIdempotentWrites}: the database's own limits (`SubgraphConfig['database']`). */
export interface IdempotentWritesOptions {
  /** Longest wait for a connection to start the transaction. */
  acquireTimeoutMs: number;
  /** The statement timeout; the transaction may run as long (5 s when there is none). */
  statementTimeoutMs: number;
}

/** Told when a write's transaction committed (the request's events: what it recorded may be published now). */
export interface CommitObserver {
  committed(tx: unknown): void;
}

/** The request a write belongs to: who it acts for, its idempotency key, and who hears of its commits. */
export interface WriteRequest {
  identity: Identity;
  idempotency?: IdempotencyRequest;
  events?: CommitObserver;
}

/**
 * The idempotent-write helper of one request, on the subgraph's own database (table
 * `idempotency_keys`). Every write runs in a transaction of its own, key or not: what it records
 * beside its rows (an event) commits or rolls back with them.
 */
export function createIdempotentWrites<Tx extends RawSql>(
  db: TransactionalClient<Tx> & Tx,
  { identity, idempotency, events }: WriteRequest,
  { acquireTimeoutMs, statementTimeoutMs }: IdempotentWritesOptions,
): IdempotentWrites<Tx> {
  const bounds = { maxWait: acquireTimeoutMs, timeout: statementTimeoutMs || 5_000 };
  /** Runs `work` in a transaction, then tells the request's events it committed. */
  const transaction = async <T>(work: (tx: Tx) => Promise<T>): Promise<T> => {
    let used: Tx | undefined;
    const result = await db.$transaction((tx) => work((used = tx)), bounds);
    events?.committed(used);
    return result;
  };
  if (!idempotency) return { once: (_path, write) => transaction(write) };
  // The row's primary key is (caller, key): two columns, so no subject and key can pass for another's.
  const caller = identity.sub ?? '';
  const { key, fingerprint } = idempotency;
  /** The stored response of this field, if the key's operation is this one and wrote it; `IDEMPOTENCY_KEY_REUSED` if the key is another operation's. */
  const stored = (row: StoredRow | undefined, path: string): { value: unknown } | undefined => {
    if (!row) return undefined;
    if (row.fingerprint !== fingerprint) throw keyReused();
    return Object.hasOwn(row.responses, path) ? { value: row.responses[path] } : undefined;
  };
  return {
    async once<T>(path: string, write: (tx: Tx) => Promise<T>): Promise<T> {
      // A retry after the first one committed: answered without opening a transaction.
      const earlier = stored(await find(db, caller, key), path);
      if (earlier) return earlier.value as T;
      return transaction(async (tx) => {
        await tx.$executeRaw`
          DELETE FROM idempotency_keys
          WHERE caller = ${caller} AND key = ${key}
            AND created_at < now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS}::int)`;
        // A concurrent twin's uncommitted row makes this wait until that transaction ends. Then
        // the row is locked for this field: the key's operation and what it already wrote.
        await tx.$executeRaw`
          INSERT INTO idempotency_keys (caller, key, fingerprint)
          VALUES (${caller}, ${key}, ${fingerprint})
          ON CONFLICT DO NOTHING`;
        const locked = await tx.$queryRaw<StoredRow[]>`
          SELECT fingerprint, responses FROM idempotency_keys
          WHERE caller = ${caller} AND key = ${key}
          FOR UPDATE`;
        const replay = stored(locked[0], path);
        if (replay) return replay.value as T;
        const result = await write(tx);
        await tx.$executeRaw`
          UPDATE idempotency_keys SET responses = responses || jsonb_build_object(${path}::text, ${JSON.stringify(result) ?? 'null'}::jsonb)
          WHERE caller = ${caller} AND key = ${key}`;
        return result;
      });
    },
  };
}

/** The caller's unexpired row for this key, if any. */
async function find(sql: RawSql, caller: string, key: string): Promise<StoredRow | undefined> {
  const rows = await sql.$queryRaw<StoredRow[]>`
    SELECT fingerprint, responses FROM idempotency_keys
    WHERE caller = ${caller} AND key = ${key}
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
