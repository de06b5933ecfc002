import { once } from 'node:events';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import type { HttpServer } from '@tessera/service-kit';
import { pino } from 'pino';
import { createGatewayServer, loadConfig } from '../../src/index.js';
import { TEST_AUTH_ENV } from './auth.js';

/** Port 9 (discard) is closed here: a subgraph routed to it is down, whatever else runs on this machine. */
export const CLOSED_URL = 'http://127.0.0.1:9/graphql';

/**
 * What modern clients send (Apollo Client among them): the GraphQL-over-HTTP media type first,
 * under which a request error keeps its 4xx status (under `application/json` alone it is 200).
 */
export const GRAPHQL_RESPONSE_ACCEPT = 'application/graphql-response+json, application/json;q=0.9';

/** A gateway under test, in this process, on a free loopback port. */
export interface TestGateway {
  server: HttpServer;
  /** Base URL, without `/graphql`. */
  url: string;
  /** Base URL of the internal listener (`/metrics`, `/health/details`). */
  metricsUrl: string;
  /** POSTs a body to `/graphql` (a string as it is, anything else as JSON); the status and the parsed body. */
  post(body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  /** The log lines written so far, parsed. */
  logs(): Array<Record<string, any>>;
  close(): Promise<void>;
}

/**
 * Starts a gateway from `env` as `loadConfig` reads it, with every subgraph routed to
 * `subgraphUrl` (closed by default) and the supergraph read from the committed file, and
 * its log captured.
 */
export async function startTestGateway(env: Record<string, string> = {}, { subgraphUrl = CLOSED_URL } = {}): Promise<TestGateway> {
  const lines: string[] = [];
  const metricsPort = await freePort();
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }));
  const server = createGatewayServer(
    loadConfig({
      NODE_ENV: 'production',
      ...TEST_AUTH_ENV,
      SUPERGRAPH_SOURCE: 'file',
      HOST: '127.0.0.1',
      SUBGRAPH_USERS_URL: subgraphUrl,
      SUBGRAPH_PRODUCTS_URL: subgraphUrl,
      SUBGRAPH_REVIEWS_URL: subgraphUrl,
      GATEWAY_METRICS_PORT: String(metricsPort),
      ...env,
    }),
    logger,
  );
  const port = await server.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  return {
    server,
    url,
    metricsUrl: `http://127.0.0.1:${metricsPort}`,
    async post(body, headers = {}) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: GRAPHQL_RESPONSE_ACCEPT, ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    },
    logs: () => lines.map((line) => JSON.parse(line) as Record<string, any>),
    close: () => server.close(),
  };
}

/**
 * Waits until the gateway's own parts (supergraph, persisted-query manifest) are loaded, as a
 * load balancer would before sending traffic: only its subgraphs may still be reported down
 * (they are closed here unless the test routes them somewhere).
 */
export async function untilOwnPartsReady({ url }: { url: string }, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const response = await fetch(`${url}/ready`);
    last = await response.json();
    if (response.ok || notReadyParts(last).every((part) => part === 'subgraphs')) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`test gateway not ready after ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

function notReadyParts(body: any): string[] {
  if (Array.isArray(body?.parts)) return body.parts;
  return String(body?.reason ?? 'unknown')
    .split('; ')
    .map((failure) => failure.split(':')[0]!);
}

/** A port free on loopback right now. */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
