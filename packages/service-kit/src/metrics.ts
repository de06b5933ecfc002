import { createServer, type Server } from 'node:http';
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
export async function startMetricsServer({ registry, port, host, logger, views = {} }: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://metrics').pathname;
    const answer = async () => {
      if (request.method !== 'GET') return [405, 'text/plain', 'method not allowed\n'] as const;
      if (path === '/metrics') return [200, registry.contentType, await registry.metrics()] as const;
      const view = views[path];
      if (view) return [200, 'application/json', JSON.stringify(await view())] as const;
      return [404, 'text/plain', 'not found\n'] as const;
    };
    answer().then(
      ([status, type, body]) => response.writeHead(status, { 'content-type': type }).end(body),
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
