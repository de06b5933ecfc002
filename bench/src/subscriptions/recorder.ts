import { percentile, sortedOf } from './stats.js';
import type { SubscriptionConnection, SubscriptionRequest, SubscriptionSink } from './connections.js';

/** Where a review's id sits in every event's text (the first field the subscription selects). */
const ID_MARK = '"reviewAdded":{"id":"';
const UUID_LENGTH = 36;

/** What the subscribers have seen so far. */
export interface SubscriberCounts {
  /** Subscriptions the gateway took, and is still serving. */
  open: number;
  /** Subscriptions refused, or ended by the gateway or the network (never by the benchmark). */
  lost: number;
  /** Events received, every subscriber counted. */
  events: number;
  /** Events carrying errors, or without the fields asked (a subscriber's first event is checked whole). */
  bad: number;
  /** What the first lost subscription or bad event said. */
  firstProblem?: string;
}

/** Latencies in ms: median, 99th percentile, highest. */
export interface Latency {
  p50: number;
  p99: number;
  max: number;
}

/** When a review was committed (`pg_xact_commit_timestamp`) and what its `createdAt` says (the transaction's start), epoch ms. */
export interface Commit {
  committedAt: number;
  createdAt: number;
}

/** One review as its subscribers got it, in ms after its commit: the first, the median, the 99th percentile and the last of them. */
export interface ReviewFanOut {
  subscribers: number;
  first: number;
  p50: number;
  p99: number;
  last: number;
}

/** Every delivery recorded, timed from its review's commit. */
export interface LatencyReport {
  deliveries: number;
  /** Deliveries of a review not among the commits given. */
  unmatched: number;
  fromCommit: Latency;
  /** The same deliveries timed from `createdAt`: the proxy the API gives, earlier than the commit by the transaction's length. */
  fromCreatedAt: Latency;
  /** Each review's fan-out, in the order given (only for a few reviews). */
  perReview?: ReviewFanOut[];
}

const latencyOf = (sorted: Float64Array): Latency => ({
  p50: percentile(sorted, 0.5),
  p99: percentile(sorted, 0.99),
  max: percentile(sorted, 1),
});

/**
 * The subscribers of the load generator: counts what every connection got, checks each one's
 * first event whole (and every event for `errors`), and while recording keeps each delivery's
 * arrival time by review id — cheap enough for 100,000 events a second on a shared core.
 */
export class Recorder {
  private readonly counts: SubscriberCounts = { open: 0, lost: 0, events: 0, bad: 0 };
  private readonly connections = new Set<SubscriptionConnection>();
  private recording: Map<string, number[]> | undefined;
  /** Bumped by `closeAll`: a connection of an earlier generation ending was the benchmark's doing. */
  private generation = 0;

  get snapshot(): SubscriberCounts {
    return { ...this.counts };
  }

  /** Opens `requests`, `concurrency` at a time; resolves once each was taken or refused. */
  async openAll(
    requests: SubscriptionRequest[],
    open: (request: SubscriptionRequest, sink: SubscriptionSink) => SubscriptionConnection,
    concurrency: number,
  ): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const request = requests[next++]!;
        await new Promise<void>((settled) => this.connections.add(open(request, this.sink(settled))));
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  /** Ends every connection from the client's side. */
  closeAll(): void {
    this.generation += 1;
    for (const connection of this.connections) connection.close();
    this.connections.clear();
    this.counts.open = 0;
  }

  /** Starts keeping each delivery's arrival time (forgetting what was kept before). */
  record(): void {
    this.recording = new Map();
  }

  /** Stops recording and times what was recorded from the reviews' commits. */
  report(commits: Record<string, Commit>, perReview: string[] = []): LatencyReport {
    const recorded = this.recording ?? new Map<string, number[]>();
    this.recording = undefined;
    const fromCommit: number[] = [];
    const fromCreatedAt: number[] = [];
    let unmatched = 0;
    for (const [id, arrivals] of recorded) {
      const commit = commits[id];
      if (!commit) {
        unmatched += arrivals.length;
        continue;
      }
      for (const at of arrivals) {
        fromCommit.push(at - commit.committedAt);
        fromCreatedAt.push(at - commit.createdAt);
      }
    }
    return {
      deliveries: fromCommit.length,
      unmatched,
      fromCommit: latencyOf(sortedOf(fromCommit)),
      fromCreatedAt: latencyOf(sortedOf(fromCreatedAt)),
      ...(perReview.length && { perReview: perReview.map((id) => fanOutOf(recorded.get(id) ?? [], commits[id])) }),
    };
  }

  private sink(settled: () => void): SubscriptionSink {
    const generation = this.generation;
    let checked = false;
    let over = false;
    return {
      opened: () => ((this.counts.open += 1), settled()),
      event: (text, at) => {
        this.counts.events += 1;
        const mark = text.indexOf(ID_MARK);
        if (mark < 0 || text.includes('"errors"') || !(checked || (checked = wellFormed(text)))) this.bad(text);
        if (mark >= 0 && this.recording) {
          const id = text.slice(mark + ID_MARK.length, mark + ID_MARK.length + UUID_LENGTH);
          const arrivals = this.recording.get(id);
          if (arrivals) arrivals.push(at);
          else this.recording.set(id, [at]);
        }
      },
      ended: (reason) => {
        if (over) return;
        over = true;
        settled();
        if (generation !== this.generation) return;
        this.counts.open = Math.max(0, this.counts.open - 1);
        this.counts.lost += 1;
        this.counts.firstProblem ??= reason;
      },
    };
  }

  private bad(text: string): void {
    this.counts.bad += 1;
    this.counts.firstProblem ??= text.slice(0, 300);
  }
}

/** Whether an event (a stream's result, or a socket's `next` message) has the review with its author's and product's fields. */
function wellFormed(text: string): boolean {
  type Result = { data?: { reviewAdded?: { id?: string; author?: { username?: unknown }; product?: { name?: unknown } } } };
  const parsed = JSON.parse(text) as Result & { payload?: Result };
  const review = (parsed.payload ?? parsed).data?.reviewAdded;
  return typeof review?.id === 'string' && typeof review.author?.username === 'string' && typeof review.product?.name === 'string';
}

function fanOutOf(arrivals: number[], commit: Commit | undefined): ReviewFanOut {
  const sorted = sortedOf(arrivals.map((at) => at - (commit?.committedAt ?? NaN)));
  return {
    subscribers: sorted.length,
    first: percentile(sorted, 0),
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    last: percentile(sorted, 1),
  };
}
