import { connect } from 'node:net';

/** Options of {@link pingRedis}. */
export interface PingRedisOptions {
  /** Give up (reject) after this long. @default 2_000 */
  timeoutMs?: number;
}

/**
 * Sends `PING` (after `AUTH` when the URL has a password) to the Redis server of `url`
 * over a raw TCP connection and resolves with its reply, `'PONG'`. Rejects when the
 * server is unreachable (e.g. `ECONNREFUSED` while stopped) or answers with an error.
 */
export function pingRedis(url: string, { timeoutMs = 2_000 }: PingRedisOptions = {}): Promise<string> {
  const { hostname, port, username, password } = new URL(url);
  const commands = password ? [auth(decodeURIComponent(username), decodeURIComponent(password)), ['PING']] : [['PING']];
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port || 6379) });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`Redis ${url}: no answer in ${timeoutMs} ms`)));
    socket.on('error', reject);
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk;
      const replies = received.split('\r\n').slice(0, -1);
      if (replies.length < commands.length) return;
      socket.end();
      const failed = replies.find((reply) => reply.startsWith('-'));
      if (failed) reject(new Error(`Redis ${url}: ${failed.slice(1)}`));
      else resolve(replies.at(-1)!.slice(1));
    });
    socket.write(commands.map(encodeCommand).join(''));
  });
}

function auth(username: string, password: string): string[] {
  return username ? ['AUTH', username, password] : ['AUTH', password];
}

/** A command in the RESP protocol: an array of bulk strings. */
function encodeCommand(args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}
