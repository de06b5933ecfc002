import { Agent, createServer, request as httpRequest, type Server } from 'node:http';

/**
 * A proxy on a free loopback port that holds each request `delayMs` (once its body is in) before
 * passing it on to `target`: a slow subgraph, for `@defer`'s test and benchmark. When the target
 * is gone (a platform stopping under a health check), the caller's connection is cut, as a
 * proxy's would be.
 */
export async function startDelayingProxy(target: string, delayMs: number): Promise<Server> {
  const to = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () =>
      setTimeout(() => {
        const upstream = httpRequest(
          { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers, agent },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', () => res.destroy());
        upstream.end(Buffer.concat(chunks));
      }, delayMs),
    );
  });
  server.on('close', () => agent.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
