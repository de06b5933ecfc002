/**
 * Requests below GraphQL, written byte for byte: HTTP versions from 0.9 to nonsense, Host missing,
 * doubled or not a host, Content-Length and Transfer-Encoding in every combination (chunk sizes
 * that are not hex, bodies longer or shorter than said), request targets that do not decode, and
 * header lines without a colon — the shapes a fetch client cannot send.
 */
import { connect } from 'node:net';
import fc from 'fast-check';

/** What a server wrote back on the connection before closing it or going quiet. */
export interface RawAnswer {
  status: number;
  text: string;
}

const BODY = JSON.stringify({ query: '{ __typename }' });

const version = fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/0.9', 'HTTP/2.0', 'HTTP/1.2', 'HTTX/1.1', '');
const target = fc.constantFrom(
  '/graphql',
  '/graphql?query=%7B__typename%7D',
  '/graphql%ff',
  '/%E0%A4%A',
  '/graphql?query=%7B__typename',
  'graphql',
  'http://elsewhere.example/graphql',
  '*',
  '/graphql/../health',
  `/graphql?${'a'.repeat(9_000)}`,
);
const host = fc.constantFrom<string[]>(
  [],
  ['Host: x'],
  ['Host: x', 'Host: y'],
  ['Host: [::1'],
  ['Host: a b'],
  ['Host:'],
  ['Host: 127.0.0.1:1'],
  ['host: X'.repeat(1)],
);
const framing = fc.constantFrom(
  (body: string) => [`Content-Length: ${Buffer.byteLength(body)}`, '', body],
  (body: string) => [`Content-Length: ${Buffer.byteLength(body) + 10}`, '', body],
  (body: string) => [`Content-Length: ${Math.max(0, Buffer.byteLength(body) - 3)}`, '', body],
  (body: string) => ['Content-Length: 3', `Content-Length: ${Buffer.byteLength(body)}`, '', body],
  (body: string) => ['Content-Length: -1', '', body],
  (body: string) => ['Content-Length: 1e3', '', body],
  (body: string) => ['Transfer-Encoding: chunked', '', `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n`],
  (body: string) => ['Transfer-Encoding: chunked', '', `zz\r\n${body}\r\n0\r\n`],
  (body: string) => ['Transfer-Encoding: chunked', '', `${Buffer.byteLength(body).toString(16)}\r\n${body}`],
  (body: string) => ['Transfer-Encoding: chunked', `Content-Length: ${Buffer.byteLength(body)}`, '', `0\r\n\r\n${body}`],
  (body: string) => ['Transfer-Encoding: gzip, chunked', '', `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n`],
  (body: string) => ['Transfer-Encoding: identity', '', body],
  () => ['', ''],
);
const extraHeader = fc.constantFrom<string[]>(
  [],
  ['Content-Type: application/json'],
  ['content-type: application/json', 'Accept: application/graphql-response+json'],
  ['broken header line'],
  [' folded: continuation'],
  ['X-Big: ' + 'b'.repeat(20_000)],
  ['apollo-require-preflight: 1'],
);

/** One raw request: its bytes as sent. */
export const rawRequest: fc.Arbitrary<string> = fc
  .record({ method: fc.constantFrom('POST', 'GET', 'POST', 'PUT', 'BREW', 'G E T'), target, version, host, framing, extraHeader })
  .map(({ method, target, version, host, framing, extraHeader }) => {
    const [separator, ...rest] = ((): string[] => {
      const lines = framing(BODY);
      const at = lines.indexOf('');
      return [lines.slice(0, at).join('\r\n'), ...lines.slice(at + 1)];
    })();
    // Connection: close, so an answer is known complete when the server hangs up (keep-alive is what fetch requests test).
    const head = [
      `${method} ${target}${version ? ` ${version}` : ''}`,
      ...host,
      'Content-Type: application/json',
      'Connection: close',
      ...extraHeader,
      ...(separator ? [separator] : []),
    ].join('\r\n');
    return `${head}\r\n\r\n${rest.join('\r\n')}`;
  });

/** Writes `bytes` on a new connection to `port`; reads until the server closes it, or is quiet for `quietMs`. */
export function sendRaw(port: number, bytes: string, quietMs = 200): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), text });
    };
    const quiet = () => {
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    };
    socket.on('data', (chunk) => {
      text += String(chunk);
      quiet();
    });
    socket.on('close', done);
    socket.on('error', done);
    socket.write(bytes, quiet);
  });
}

/** The bodies of every response in an HTTP/1.x answer (several when a connection was kept alive), chunked ones decoded. */
export function responseBodies(text: string): string[] {
  const bodies: string[] = [];
  let rest = text;
  while (rest.startsWith('HTTP/')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const head = rest.slice(0, end);
    rest = rest.slice(end + 4);
    const length = /\r\ncontent-length: (\d+)/i.exec(head)?.[1];
    if (length !== undefined) {
      bodies.push(rest.slice(0, Number(length)));
      rest = rest.slice(Number(length));
    } else if (/\r\ntransfer-encoding: chunked/i.test(head)) {
      let body = '';
      for (;;) {
        const line = rest.indexOf('\r\n');
        const size = parseInt(rest.slice(0, line), 16);
        rest = rest.slice(line + 2);
        if (!size) break;
        body += rest.slice(0, size);
        rest = rest.slice(size + 2);
      }
      rest = rest.replace(/^\r\n/, '');
      bodies.push(body);
    } else {
      bodies.push(rest);
      rest = '';
    }
  }
  return bodies;
}
