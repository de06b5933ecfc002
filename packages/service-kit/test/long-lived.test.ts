/**
 * Long-lived connections on the GraphQL path: event streams (GraphQL over SSE) and WebSockets,
 * beside Apollo's one-shot answers, behind the same guards, and ended cleanly when the server
 * drains.
 */
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { createConnection } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { createHttpServer, createLogger, type EventStream, type HttpServer, type StreamEvent } from '../src/index.js';

const logger = createLogger({ service: 'test', level: 'silent' });
let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server whose event streams and sockets are handed to the test, behind a guard that refuses `x-refuse`. */
async function start(options: { onStream?: (stream: EventStream) => void; maxBufferedBytes?: number } = {}) {
  const streams: EventStream[] = [];
  const sockets: WebSocket[] = [];
  server = createHttpServer({
    apollo: new ApolloServer({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'hi' } } }),
    context: async () => ({}),
    logger,
    readiness: async () => {},
    guards: [
      async (request, reply) => (request.headers['x-refuse'] ? reply.code(403).send({ errors: [{ message: 'refused' }] }) : undefined),
    ],
    eventStreams: {
      async handle(_request, stream) {
        streams.push(stream);
        options.onStream?.(stream);
        await stream.ended;
      },
      options: { heartbeatMs: 50, ...(options.maxBufferedBytes && { maxBufferedBytes: options.maxBufferedBytes }) },
    },
    webSockets: {
      handle(socket) {
        sockets.push(socket);
        socket.on('message', (data: Buffer) => socket.send(`echo ${data.toString()}`));
      },
    },
  });
  const port = await server.listen(0, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}/graphql`, streams, sockets };
}

/** POSTs asking for an event stream; the response and the text it has sent so far. */
function openStream(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ response: IncomingMessage; text: () => string }>((resolve) => {
    let text = '';
    const request = httpRequest(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers } },
      (response) => {
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        resolve({ response, text: () => text });
      },
    );
    request.end(JSON.stringify({ query: 'subscription { tick }' }));
  });
}

describe('event streams', () => {
  it('hands a request for text/event-stream to its handler, which writes events; JSON still goes to Apollo', async () => {
    const { url } = await start({ onStream: (stream) => stream.send({ id: '7', event: 'next', data: '{"data":{"tick":1}}' }) });
    const { response, text } = await openStream(url, { 'last-event-id': '6' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await vi.waitFor(() => expect(text()).toContain('id: 7\nevent: next\ndata: {"data":{"tick":1}}\n\n'));
    // A quiet stream still says it is alive.
    await vi.waitFor(() => expect(text()).toContain(':\n\n'));
    const json = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ hello }"}' });
    expect(await json.json()).toEqual({ data: { hello: 'hi' } });
    response.destroy();
  });

  it('gives the handler the Last-Event-ID a client reconnects with, and splits data over lines', async () => {
    const seen: Array<string | undefined> = [];
    const { url } = await start({
      onStream: (stream) => {
        seen.push(stream.lastEventId);
        stream.send({ data: 'one\ntwo' } satisfies StreamEvent);
      },
    });
    const { response, text } = await openStream(url, { 'last-event-id': '41' });
    await vi.waitFor(() => expect(text()).toContain('data: one\ndata: two\n\n'));
    expect(seen).toEqual(['41']);
    response.destroy();
  });

  it('runs the guards first: a refused request never reaches the handler', async () => {
    const { url, streams } = await start();
    const response = await fetch(url, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json', 'x-refuse': '1' },
      body: '{"query":"{ hello }"}',
    });
    expect(response.status).toBe(403);
    expect(streams).toHaveLength(0);
  });

  it('cuts a client that does not read, rather than buffer for it', async () => {
    const { url, streams } = await start({ maxBufferedBytes: 64 * 1024 });
    const { response } = await openStream(url);
    response.pause();
    await vi.waitFor(() => expect(streams).toHaveLength(1));
    const stream = streams[0]!;
    const chunk = { data: 'x'.repeat(16 * 1024) };
    await vi.waitFor(
      () => {
        stream.send(chunk);
        expect(stream.open).toBe(false);
      },
      { timeout: 5_000, interval: 1 },
    );
    expect(await stream.ended).toBe('slow');
  });

  it('ends every open stream with a retry hint when the server drains, and tells its handler why', async () => {
    const { url, streams } = await start();
    const { response, text } = await openStream(url);
    await vi.waitFor(() => expect(streams).toHaveLength(1));
    const ended = once(response, 'end');
    await server!.close();
    server = undefined;
    await ended;
    expect(text()).toContain('retry: 1000\n\n');
    expect(await streams[0]!.ended).toBe('draining');
  });
});

describe('WebSockets', () => {
  it('hands the socket to its handler after the guards, and closes it with 1012 when the server drains', async () => {
    const { url, sockets } = await start();
    const socket = new WebSocket(url.replace('http', 'ws'));
    await once(socket, 'open');
    socket.send('ping');
    const [reply] = (await once(socket, 'message')) as [Buffer];
    expect(reply.toString()).toBe('echo ping');
    expect(sockets).toHaveLength(1);
    const closed = once(socket, 'close') as Promise<[number, Buffer]>;
    await server!.close();
    server = undefined;
    const [code] = await closed;
    expect(code).toBe(1012);
  });

  it('refuses the upgrade when a guard answers', async () => {
    const { url, sockets } = await start();
    const socket = new WebSocket(url.replace('http', 'ws'), { headers: { 'x-refuse': '1' } });
    const [, response] = (await once(socket, 'unexpected-response')) as [unknown, IncomingMessage];
    expect(response.statusCode).toBe(403);
    expect(sockets).toHaveLength(0);
  });
});

describe('draining', () => {
  it('does not wait for a connection that never sent a request (Node would, for its headers timeout: a minute)', async () => {
    const { url } = await start();
    const { port } = new URL(url);
    const silent = createConnection({ host: '127.0.0.1', port: Number(port) });
    await once(silent, 'connect');
    const closed = once(silent, 'close');
    await server!.close();
    server = undefined;
    await closed;
  });

  it('cuts a WebSocket whose client does not answer the close (ws would wait 30 s)', async () => {
    const { url, sockets } = await start();
    const socket = new WebSocket(url.replace('http', 'ws'));
    await once(socket, 'open');
    await vi.waitFor(() => expect(sockets).toHaveLength(1));
    // The client reads nothing more: the close frame never gets an answer.
    socket.pause();
    await server!.close();
    server = undefined;
    await vi.waitFor(() => expect(sockets[0]!.readyState).toBe(WebSocket.CLOSED), { timeout: 3_000 });
  });
});
