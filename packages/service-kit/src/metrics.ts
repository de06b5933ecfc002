import { createServer, type IncomingMessage, type Server } from 'node:http';
import { once } from 'node:events';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Logger } from 'pino';

/**
 * A Prometheus registry for one service: every series carries `service`, and the Node.js
 * defaults (event-loop lag, heap, GC, CPU, open handles) are collected. One per process (or per
 * test), passed to whatever records metrics — never prom-client's global registry.
 */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  registry: Registry;
  port: number;
  host: string;
  logger: Logger;
  /** Internal views served as JSON beside `/metrics` (e.g. `/health/details`), by path. */
  views?: Record<string, () => unknown>;
  /**
   * Internal operations, by path: `POST` with a JSON body (64 KiB at most), answered with what the
   * action returns as JSON (e.g. the gateway's `/cache/invalidate`). A `RangeError` from the action
   * is the caller's mistake: 400 with its message.
   */
  actions?: Record<string, (body: unknown) => Promise<unknown>>;
}

/** The internal listener: Prometheus text at `GET /metrics`, and the JSON views. */
export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` on its own port, apart from the public API: scrapers and operators
 * reach it inside the network, clients never do (a load balancer forwards only the API port).
 */
export async function startMetricsServer({
  registry,
  port,
  host,
  logger,
  views = {},
  actions = {},
}: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://metrics').pathname;
    const answer = async () => {
      const action = actions[path];
      if (action)
        return request.method === 'POST'
          ? runAction(action, request)
          : ([405, 'text/plain', 'method not allowed: POST\n', 'POST'] as const);
      if (request.method !== 'GET') return [405, 'text/plain', 'method not allowed: GET\n', 'GET'] as const;
      if (path === '/metrics') return [200, registry.contentType, await registry.metrics()] as const;
      const view = views[path];
      if (view) return [200, 'application/json', JSON.stringify(await view())] as const;
      return [404, 'text/plain', 'not found\n'] as const;
    };
    answer().then(
      ([status, type, body, allow]: readonly [number, string, string, string?]) =>
        response.writeHead(status, { 'content-type': type, ...(allow && { allow }) }).end(body),
      (error: unknown) => {
        logger.error({ err: error, path }, 'metrics request failed');
        response.writeHead(500, { 'content-type': 'text/plain' }).end('error\n');
      },
    );
  });
  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const MAX_ACTION_BODY_BYTES = 65_536;

/** What an action throws when what it needs is down (503: try again), as opposed to a bad body (`RangeError`, 400). */
export class ActionUnavailableError extends Error {}

async function runAction(
  action: (body: unknown) => Promise<unknown>,
  request: IncomingMessage,
): Promise<readonly [number, string, string]> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_ACTION_BODY_BYTES)
      return [413, 'application/json', JSON.stringify({ error: `body over ${MAX_ACTION_BODY_BYTES} bytes` })];
    chunks.push(chunk as Buffer);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    return [400, 'application/json', JSON.stringify({ error: 'the body must be JSON' })];
  }
  try {
    return [200, 'application/json', JSON.stringify(await action(body))];
  } catch (error) {
    if (error instanceof RangeError) return [400, 'application/json', JSON.stringify({ error: error.message })];
    if (error instanceof ActionUnavailableError) return [503, 'application/json', JSON.stringify({ error: error.message })];
    throw error;
  }
}

/**
 * A label value from a set the client controls (operation names): the first `max` distinct
 * values are kept, later ones are counted as `other`, so a client cannot grow the series
 * without bound.
 */
export function boundedLabel(max: number): (value: string | null | undefined) => string {
  const seen = new Set<string>();
  return (value) => {
    if (!value) return 'anonymous';
    if (seen.has(value)) return value;
    if (seen.size >= max) return 'other';
    seen.add(value);
    return value;
  };
}
