import { ErrorCode, type EventStream, type Logger, type RawBodyRequest } from '@tessera/service-kit';
import {
  createSourceEventStream,
  execute,
  GraphQLError,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import type { TopicEvent } from '../events/types.js';
import { identityOf } from '../gateway-signature.js';
import type { OperationGuard } from '../request-guards.js';
import type { RequestInput } from '../request-scope.js';
import { readStreamOperation, type StreamOperation } from './stream-request.js';

/** Options of {@link createSubscriptionStreams}. */
export interface SubscriptionStreamsOptions {
  /** The subgraph's schema, as Apollo serves it. */
  schema: GraphQLSchema;
  /** The subgraph's own request limits. */
  guard: OperationGuard;
  introspection: boolean;
  /** A fresh context: the subscription's (with its resume point), and one for each event (fresh loaders). */
  context: (input: RequestInput) => object;
  /** The subgraph's error formatting (deliberate errors pass, anything else masked and logged). */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  logger: Logger;
}

/** What answers `Accept: text/event-stream` on `/graphql`: service-kit's `eventStreams.handle`. */
export interface SubscriptionStreams {
  handle(request: RawBodyRequest, stream: EventStream): Promise<void>;
}

/**
 * GraphQL over server-sent events, "distinct connections" mode: one subscription per request.
 * Each event of the subscription's topic is executed with a context of its own and written as
 * `id: <seq>`, `event: next`, `data: <result>` (`extensions.committedAt`: when it was committed,
 * epoch ms); a client reconnecting with the last id it got (`Last-Event-ID` or
 * `extensions.lastEventId`) gets exactly the events after it. A request that cannot start gets
 * one `next` with its errors, then `complete`. The client leaving ends the subscription.
 */
export function createSubscriptionStreams(options: SubscriptionStreamsOptions): SubscriptionStreams {
  return {
    async handle(request, stream) {
      const stop = new AbortController();
      void stream.ended.then(() => stop.abort());
      const operation = readStreamOperation(request.body, stream.lastEventId, options);
      if (Array.isArray(operation)) return refuse(stream, operation, options);
      const input: RequestInput = { identity: identityOf(request), signal: stop.signal };
      try {
        const source = await createSourceEventStream({
          schema: options.schema,
          document: operation.document,
          operationName: operation.operationName,
          variableValues: operation.variables,
          contextValue: options.context({ ...input, ...(operation.after !== undefined && { after: operation.after }) }),
        });
        if (!(Symbol.asyncIterator in source)) return refuse(stream, (source.errors ?? []).map(asRequestError), options);
        const started = Date.now();
        const sent = await streamEvents(source[Symbol.asyncIterator]() as AsyncIterator<TopicEvent>, stream, (event) =>
          executeEvent(event, operation, input, options),
        );
        // A stream is one request however long it lives: one line when it ends, as for any request.
        options.logger.info(
          {
            operationName: operation.operationName,
            events: sent,
            durationMs: Date.now() - started,
            ended: stream.open ? 'source' : await stream.ended,
          },
          'subscription ended',
        );
      } catch (error) {
        return refuse(stream, [error], options);
      }
      complete(stream);
    },
  };
}

/**
 * Writes each event until the source ends or the client leaves; how many were sent. The source is
 * closed either way (the hub forgets it).
 */
async function streamEvents(
  source: AsyncIterator<TopicEvent>,
  stream: EventStream,
  run: (event: TopicEvent) => Promise<unknown>,
): Promise<number> {
  void stream.ended.then(() => source.return?.());
  let sent = 0;
  try {
    for (;;) {
      const next = await source.next();
      if (next.done || !stream.open) return sent;
      const result = await run(next.value);
      if (!stream.send({ id: String(next.value.seq), event: 'next', data: JSON.stringify(result) })) return sent;
      sent++;
    }
  } finally {
    await source.return?.();
  }
}

/** One event's result: the operation run on it with a fresh context, its errors formatted, and when it was committed. */
async function executeEvent(event: TopicEvent, operation: StreamOperation, input: RequestInput, options: SubscriptionStreamsOptions) {
  const result: ExecutionResult = await execute({
    schema: options.schema,
    document: operation.document,
    operationName: operation.operationName,
    variableValues: operation.variables,
    rootValue: event,
    contextValue: options.context(input),
  });
  return {
    ...(result.errors && { errors: result.errors.map((error) => options.formatError(error.toJSON(), error)) }),
    data: result.data,
    extensions: { ...result.extensions, committedAt: event.createdAt.getTime() },
  };
}

/**
 * An error of the request itself (a variable of the wrong type, missing) is the client's: graphql-js
 * gives it no code and no path, unlike what a resolver threw. Apollo names those `BAD_USER_INPUT` too.
 */
function asRequestError(error: GraphQLError): GraphQLError {
  if (error.path !== undefined || error.extensions.code !== undefined) return error;
  return new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: ErrorCode.BadUserInput } });
}

/** The errors that stopped a subscription as one `next` event, then `complete`. */
function refuse(stream: EventStream, errors: readonly unknown[], { formatError }: SubscriptionStreamsOptions): void {
  const formatted = errors.map((error) => formatError(error instanceof GraphQLError ? error.toJSON() : { message: String(error) }, error));
  stream.send({ event: 'next', data: JSON.stringify({ errors: formatted }) });
  complete(stream);
}

function complete(stream: EventStream): void {
  stream.send({ event: 'complete', data: '' });
  stream.close();
}
