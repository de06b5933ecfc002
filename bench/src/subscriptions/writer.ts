import { Agent, request } from 'node:http';
import { encodeIdentity, IDENTITY_HEADER, SIGNATURE_HEADER, signRequest, type SigningKey } from '@tessera/service-kit';

const CREATE_REVIEW = 'mutation ($input: CreateReviewInput!) { createReview(input: $input) { id } }';

/** One review written: its id, and when (epoch ms) its request left and its answer came back. */
export interface Write {
  id: string;
  productId: string;
  sentAt: number;
  answeredAt: number;
}

/** What a run of writes at a fixed rate did. */
export interface WriteRun {
  writes: Write[];
  failures: number;
  /** The first failure's text, to say why. */
  firstFailure?: string;
  /** Writes answered per second, from the first sent to the last answered (or the end of the run). */
  rate: number;
}

/** Options of {@link createReviewWriter}. */
export interface ReviewWriterOptions {
  /** The reviews subgraph's GraphQL endpoint. */
  url: string;
  /** The signed-in user every review is written as. */
  authorId: string;
  /** The key the gateway signs with: the subgraph answers nothing unsigned. */
  signingKey: SigningKey;
  /** Connections to the subgraph, and so writes in flight at most. @default 64 */
  connections?: number;
}

/** The time now, epoch ms with the fraction of a millisecond `Date.now()` leaves out. */
export const nowMs = () => performance.timeOrigin + performance.now();

/**
 * Writes reviews straight to the reviews subgraph, signed as the gateway signs, with the author's
 * identity forwarded as the gateway forwards it: the write costs the gateway under test nothing,
 * so its CPU is all its subscriptions'.
 */
export function createReviewWriter({ url, authorId, signingKey, connections = 64 }: ReviewWriterOptions) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(url);
  const identity = encodeIdentity({ sub: authorId, scopes: new Set() });
  let counter = 0;
  const write = (productId: string): Promise<Write> => {
    const input = { productId, rating: 1 + (counter % 5), body: `Benchmark review ${counter++}` };
    const body = JSON.stringify({ query: CREATE_REVIEW, variables: { input } });
    const signature = signRequest({ method: 'POST', path: target.pathname, body, headers: { [IDENTITY_HEADER]: identity } }, signingKey);
    const headers = { 'content-type': 'application/json', [IDENTITY_HEADER]: identity, [SIGNATURE_HEADER]: signature };
    const sentAt = nowMs();
    return new Promise((resolve, reject) => {
      const req = request(target, { method: 'POST', agent, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const id = /"createReview":\{"id":"([^"]+)"/.exec(text)?.[1];
          if (res.statusCode === 200 && id && !text.includes('"errors"')) resolve({ id, productId, sentAt, answeredAt: nowMs() });
          else reject(new Error(`createReview answered ${res.statusCode}: ${text.slice(0, 300)}`));
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  };
  return { write, close: () => agent.destroy(), connections };
}

export type ReviewWriter = ReturnType<typeof createReviewWriter>;

/**
 * Writes `rate` reviews a second for `seconds`, round-robin over `productIds`, open loop: each write
 * is due at its own time whatever the earlier ones took — unless all the writer's connections are
 * busy, when the due writes wait for one. Writes still waiting when the time is up are not sent: the
 * rate reached says how far the platform kept up.
 */
export async function writeAtRate(writer: ReviewWriter, productIds: string[], rate: number, seconds: number): Promise<WriteRun> {
  const run: WriteRun = { writes: [], failures: 0, rate: 0 };
  const started = nowMs();
  const deadline = started + seconds * 1_000;
  let issued = 0;
  const inFlight = new Set<Promise<unknown>>();
  while (nowMs() < deadline) {
    const due = Math.floor(((nowMs() - started) / 1_000) * rate) + 1;
    while (issued < due && inFlight.size < writer.connections) {
      const write = writer
        .write(productIds[issued++ % productIds.length]!)
        .then((done) => run.writes.push(done))
        .catch((error: Error) => ((run.failures += 1), (run.firstFailure ??= error.message)))
        .finally(() => inFlight.delete(write));
      inFlight.add(write);
    }
    // Wake for the next write due, or as soon as a connection is free.
    const next = started + (issued / rate) * 1_000;
    await Promise.race([sleep(Math.max(0, Math.min(next, deadline) - nowMs())), ...(inFlight.size >= writer.connections ? inFlight : [])]);
  }
  await Promise.all(inFlight);
  const last = run.writes.reduce((latest, w) => Math.max(latest, w.answeredAt), deadline);
  run.rate = (run.writes.length * 1_000) / (last - started);
  return run;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
