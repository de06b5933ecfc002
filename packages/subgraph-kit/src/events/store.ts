import type { RawSql } from '../idempotency.js';
import type { TopicEvent } from './types.js';

/**
 * The outbox's SQL, on the `events` and `event_topics` tables of a subgraph's database. Every
 * statement is one round trip; `seq` and ids are bigint columns, read back as numbers (a topic
 * would need 2^53 events to lose precision).
 */

interface EventRow {
  id?: bigint;
  topic: string;
  seq: bigint;
  payload: unknown;
  created_at: Date;
}

const toEvent = (row: EventRow): TopicEvent => ({
  topic: row.topic,
  seq: Number(row.seq),
  payload: row.payload,
  createdAt: row.created_at,
});

/**
 * Records an event inside the caller's transaction, in one statement: the topic's row takes the
 * next `seq` (and stays locked until the transaction ends, so the next writer of the topic waits
 * for this one to commit or roll back: `seq` order is commit order, and a rolled-back `seq` is
 * taken again), then the event row.
 */
export async function recordEvent(tx: RawSql, topic: string, payload: unknown): Promise<{ seq: number }> {
  const rows = await tx.$queryRaw<Array<{ seq: bigint }>>`
    WITH next AS (
      INSERT INTO event_topics (topic, seq) VALUES (${topic}, 1)
      ON CONFLICT (topic) DO UPDATE SET seq = event_topics.seq + 1
      RETURNING seq
    )
    INSERT INTO events (topic, seq, payload)
    SELECT ${topic}, seq, ${JSON.stringify(payload) ?? 'null'}::jsonb FROM next
    RETURNING seq`;
  return { seq: Number(rows[0]!.seq) };
}

/** Up to `limit` committed events of `topic` after `after`, in `seq` order. */
export async function readTopic(sql: RawSql, topic: string, after: number, limit: number): Promise<TopicEvent[]> {
  const rows = await sql.$queryRaw<EventRow[]>`
    SELECT topic, seq, payload, created_at FROM events
    WHERE topic = ${topic} AND seq > ${after}::bigint
    ORDER BY seq LIMIT ${limit}::int`;
  return rows.map(toEvent);
}

/** Each topic's last committed `seq` (topics without any event are left out). */
export async function topicHeads(sql: RawSql, topics: readonly string[]): Promise<Map<string, number>> {
  const rows = await sql.$queryRaw<Array<{ topic: string; seq: bigint }>>`
    SELECT topic, seq FROM event_topics WHERE topic = ANY(${[...topics]}::text[])`;
  return new Map(rows.map((row) => [row.topic, Number(row.seq)]));
}

/** A topic's last committed `seq` (0 before its first event) and the oldest `seq` still kept (none once all are pruned). */
export async function topicBounds(sql: RawSql, topic: string): Promise<{ latest: number; oldest: number | undefined }> {
  const rows = await sql.$queryRaw<Array<{ latest: bigint | null; oldest: bigint | null }>>`
    SELECT (SELECT seq FROM event_topics WHERE topic = ${topic}) AS latest,
           (SELECT min(seq) FROM events WHERE topic = ${topic}) AS oldest`;
  const { latest, oldest } = rows[0] ?? { latest: null, oldest: null };
  return { latest: Number(latest ?? 0), oldest: oldest === null ? undefined : Number(oldest) };
}

/** An event the relay has read: the row's id beside it, to mark it published. */
export interface UnpublishedEvent {
  id: bigint;
  event: TopicEvent;
}

/**
 * Up to `limit` committed events not yet published, in id order. `ORDER BY published_at, id`
 * (all null here) is the order of the `(published_at, id)` index, so the read walks it without a sort.
 */
export async function readUnpublished(tx: RawSql, limit: number): Promise<UnpublishedEvent[]> {
  const rows = await tx.$queryRaw<Array<EventRow & { id: bigint }>>`
    SELECT id, topic, seq, payload, created_at FROM events
    WHERE published_at IS NULL
    ORDER BY published_at, id LIMIT ${limit}::int`;
  return rows.map((row) => ({ id: row.id, event: toEvent(row) }));
}

/**
 * Marks exactly these rows published. By id, never "up to an id": a row with a smaller id may
 * commit after the read (ids are taken before commit), and must stay unpublished until the next read.
 */
export async function markPublished(tx: RawSql, ids: readonly bigint[]): Promise<void> {
  await tx.$executeRaw`UPDATE events SET published_at = now() WHERE id = ANY(${ids.map(String)}::bigint[])`;
}

/** Deletes up to `limit` published events older than `retentionSeconds`, oldest first; how many. */
export async function pruneEvents(tx: RawSql, retentionSeconds: number, limit: number): Promise<number> {
  return tx.$executeRaw`
    DELETE FROM events WHERE id IN (
      SELECT id FROM events
      WHERE created_at < now() - make_interval(secs => ${retentionSeconds}::int) AND published_at IS NOT NULL
      ORDER BY created_at LIMIT ${limit}::int)`;
}

/** Age in seconds of the oldest committed event not yet published; 0 when there is none. */
export async function relayLagSeconds(sql: RawSql): Promise<number> {
  const rows = await sql.$queryRaw<Array<{ lag: number | null }>>`
    SELECT extract(epoch FROM clock_timestamp() - min(created_at))::float8 AS lag FROM events WHERE published_at IS NULL`;
  return Math.max(0, rows[0]?.lag ?? 0);
}
