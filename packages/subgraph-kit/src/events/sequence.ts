import type { TopicEvent } from './types.js';

/** What one subscriber takes of a run of a topic's events ({@link takeInOrder}). */
export interface Taken {
  /** The events to hand it, in order: `last + 1`, `last + 2`, … with none skipped or repeated. */
  events: TopicEvent[];
  /** Its new position: the `seq` of the last event taken (as before when none was). */
  last: number;
  /** An event after the next one was met before the next one: something in between is missing here. */
  gap: boolean;
  /** The next event was there but the subscriber had no room left for it. */
  full: boolean;
}

/**
 * The events a subscriber at `last` takes from `events` (one topic's, in any order, duplicates
 * allowed): those already delivered (`seq <= last`) are skipped, then each next `seq` in turn
 * while it has `room`. It stops at a gap (the next `seq` is not among them: it must come from the
 * database) or when it is full. So whatever order and repeats the bus delivers, a subscriber sees
 * every `seq` once, in order.
 */
export function takeInOrder(last: number, room: number, events: readonly TopicEvent[]): Taken {
  const ahead = events.filter((event) => event.seq > last).sort((a, b) => a.seq - b.seq);
  const taken: TopicEvent[] = [];
  let position = last;
  for (const event of ahead) {
    if (event.seq === position) continue; // a repeat of one just taken
    if (event.seq !== position + 1) return { events: taken, last: position, gap: true, full: false };
    if (taken.length >= room) return { events: taken, last: position, gap: false, full: true };
    taken.push(event);
    position = event.seq;
  }
  return { events: taken, last: position, gap: false, full: false };
}
