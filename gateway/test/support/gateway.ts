import { Writable } from 'node:stream';
import { connectRedis, type HttpServer, type RedisClient } from '@tessera/service-kit';
import { getFreePort, GRAPHQL_RESPONSE_ACCEPT, TEST_AUTH_ENV, type GraphQLResponse } from '@tessera/test-helpers';
import { pino } from 'pino';
import { vi } from 'vitest';
import { createGatewayServer, loadConfig } from '../../src/index.js';

export { GRAPHQL_RESPONSE_ACCEPT, type GraphQLResponse };

/** One line of the gateway's log, parsed. */
export type LogLine = Record<string, unknown>;

/** Port 9 (discard) is closed here: a subgraph routed to it is down, whatever else runs on this machine. */
export const CLOSED_URL = 'http://127.0.0.1:9/graphql';

/** A gateway under test, in this process, on a free loopback port. */
export interface TestGateway {
  server: HttpServer;
  /** Base URL, without `/graphql`. */
  url: string;
  /** Base URL of the internal listener (`/metrics`, `/health/details`). */
  metricsUrl: string;
  /**
   * POSTs a body to `/graphql` (a string as it is, anything else as JSON); the status and the
   * parsed body. `TData` is the shape of `data` the caller expects, `TExtensions` that of `extensions`.
   */
  post<TData = Record<string, unknown>, TExtensions = Record<string, unknown>>(
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: GraphQLResponse<TData, TExtensions> }>;
  /** The gateway's Redis client, when the environment names one (its `status` says whether it is connected). */
  redis?: RedisClient;
  /** The log lines written so far, parsed. */
  logs(): LogLine[];
  close(): Promise<void>;
}

/**
 * Starts a gateway from `env` as `loadConfig` reads it, with every subgraph routed to
 * `subgraphUrl` (closed by default) and the supergraph read from the committed file, and
 * its log captured.
 */
export async function startTestGateway(env: Record<string, string> = {}, { subgraphUrl = CLOSED_URL } = {}): Promise<TestGateway> {
  const lines: string[] = [];
  const metricsPort = await getFreePort();
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }));
  const config = loadConfig({
    NODE_ENV: 'production',
    ...TEST_AUTH_ENV,
    SUPERGRAPH_SOURCE: 'file',
    HOST: '127.0.0.1',
    SUBGRAPH_USERS_URL: subgraphUrl,
    SUBGRAPH_PRODUCTS_URL: subgraphUrl,
    SUBGRAPH_REVIEWS_URL: subgraphUrl,
    GATEWAY_METRICS_PORT: String(metricsPort),
    ...env,
  });
  // As main.ts does: the infrastructure made outside the server, closed after it.
  const redis = config.redis && connectRedis({ ...config.redis, logger });
  const server = createGatewayServer(config, { logger, redis });
  const port = await server.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  return {
    server,
    url,
    redis,
    metricsUrl: `http://127.0.0.1:${metricsPort}`,
    async post<TData, TExtensions>(body: unknown, headers: Record<string, string> = {}) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: GRAPHQL_RESPONSE_ACCEPT, ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as GraphQLResponse<TData, TExtensions> };
    },
    logs: () => lines.map((line) => JSON.parse(line) as LogLine),
    async close() {
      await server.close();
      redis?.disconnect();
    },
  };
}

/**
 * Waits until the gateway's own parts (supergraph, persisted-query manifest) are loaded, as a
 * load balancer would before sending traffic: only its subgraphs may still be reported down
 * (they are closed here unless the test routes them somewhere).
 */
export async function untilOwnPartsReady({ url }: { url: string }, timeoutMs = 15_000): Promise<void> {
  await vi.waitFor(
    async () => {
      const response = await fetch(`${url}/ready`);
      const body: unknown = await response.json();
      if (!response.ok && !notReadyParts(body).every((part) => part === 'subgraphs'))
        throw new Error(`test gateway not ready: ${JSON.stringify(body)}`);
    },
    { timeout: timeoutMs, interval: 25 },
  );
}

function notReadyParts(body: unknown): string[] {
  const { parts, reason } = (body ?? {}) as { parts?: unknown; reason?: unknown };
  if (Array.isArray(parts)) return parts.map(String);
  return (typeof reason === 'string' ? reason : 'unknown').split('; ').map((failure) => failure.split(':')[0]!);
}
