/**
 * The load generator's process: holds every subscriber's connection, told what to do by the
 * benchmark over IPC (load-generator.ts is the other end). A process of its own, pinned to the
 * backend core, so that reading 100,000 events a second never shares an event loop with the writer.
 */
import { randomUUID } from 'node:crypto';
import { testToken } from '@tessera/test-helpers';
import { openEventStream, openWebSocket, type SubscriptionRequest } from './connections.js';
import { Recorder, type Commit } from './recorder.js';

/** What the benchmark asks of the load generator. */
export type Command =
  | {
      type: 'open';
      transport: Transport;
      url: string;
      query: string;
      /** Subscriber i subscribes to product i modulo their number. */
      productIds: string[];
      count: number;
      /** Subscriptions being opened at once. @default 256 */
      concurrency?: number;
    }
  | { type: 'counts' }
  | { type: 'record' }
  | { type: 'report'; commits: Record<string, Commit>; perReview?: string[] }
  | { type: 'close' };

/** How subscribers reach the gateway. */
export type Transport = 'sse' | 'ws';

const recorder = new Recorder();
// One signed-in user per subscriber, as 10,000 people would be: each with a token of their own.
const tokens: string[] = [];

async function tokensFor(count: number): Promise<string[]> {
  while (tokens.length < count) tokens.push(await testToken({ sub: randomUUID(), expires: '3h' }));
  return tokens.slice(0, count);
}

async function run(command: Command): Promise<unknown> {
  switch (command.type) {
    case 'open': {
      const { transport, url, query, productIds, count, concurrency = 256 } = command;
      const own = await tokensFor(count);
      const requests = own.map((token, i): SubscriptionRequest => ({
        url,
        query,
        variables: { p: productIds[i % productIds.length] },
        token,
      }));
      await recorder.openAll(requests, transport === 'sse' ? openEventStream : openWebSocket, concurrency);
      return recorder.snapshot;
    }
    case 'counts':
      return recorder.snapshot;
    case 'record':
      return recorder.record();
    case 'report':
      return recorder.report(command.commits, command.perReview);
    case 'close':
      return recorder.closeAll();
  }
}

process.on('message', (message: { id: number; command: Command }) => {
  run(message.command).then(
    (result) => process.send!({ id: message.id, result }),
    (error: Error) => process.send!({ id: message.id, error: error.stack ?? error.message }),
  );
});
process.on('disconnect', () => process.exit(0));
