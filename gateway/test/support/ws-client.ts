import { WebSocket } from 'ws';

/** A message of the graphql-transport-ws protocol, as received. */
export interface ProtocolMessage {
  type: string;
  id?: string;
  payload?: unknown;
}

/** A raw WebSocket speaking graphql-transport-ws by hand: what a hostile or careless client can send, and what it gets back. */
export interface RawSocket {
  socket: WebSocket;
  send(message: unknown): void;
  /** The next message received (in order), within `timeoutMs`. */
  receive(timeoutMs?: number): Promise<ProtocolMessage>;
  /** The close code and reason, once the server (or the client) has closed. */
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a socket on the gateway's GraphQL path; resolves once open (rejects if the upgrade is refused). */
export async function openSocket(
  baseUrl: string,
  { protocol = 'graphql-transport-ws', headers = {} }: { protocol?: string; headers?: Record<string, string> } = {},
): Promise<RawSocket> {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/graphql`, protocol, { headers });
  const queue: ProtocolMessage[] = [];
  const waiting: Array<(message: ProtocolMessage) => void> = [];
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString('utf8')) as ProtocolMessage;
    const wake = waiting.shift();
    if (wake) wake(message);
    else queue.push(message);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused: HTTP ${response.statusCode}`)));
  });
  return {
    socket,
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    receive(timeoutMs = 5_000) {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const waiter = (message: ProtocolMessage) => (clearTimeout(timer), resolve(message));
        // A wait that timed out leaves the queue: the next message goes to the next receive.
        const timer = setTimeout(
          () => (waiting.splice(waiting.indexOf(waiter), 1), reject(new Error(`no message within ${timeoutMs} ms`))),
          timeoutMs,
        );
        waiting.push(waiter);
      });
    },
    closed,
  };
}

/** A socket past `connection_init` and `connection_ack`, with the token given (none: anonymous). */
export async function openAcknowledged(baseUrl: string, token?: string, headers: Record<string, string> = {}): Promise<RawSocket> {
  const client = await openSocket(baseUrl, { headers });
  client.send({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} });
  const ack = await client.receive();
  if (ack.type !== 'connection_ack') throw new Error(`expected connection_ack, got ${JSON.stringify(ack)}`);
  return client;
}
