import { randomInt } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';

/**
 * Where ports are picked: below Linux's ephemeral range (32768–60999), so that no outgoing
 * connection — a service's pool connecting to PostgreSQL while the gateway waits for it — can
 * take a port between the moment it is picked and the moment its service binds it (the OS's
 * own choice, `listen(0)`, comes from that range).
 */
const FIRST = 20_000;
const LAST = 32_000;

/** Ports handed out by this process: never handed out twice. */
const handedOut = new Set<number>();

/** The test servers' ports: a test may stop Redis for a while, and its port must stay its own. */
function serverPorts(): Set<number> {
  const urls = [process.env.TEST_POSTGRES_URL, process.env.TEST_REDIS_URL].filter((url): url is string => Boolean(url));
  return new Set(urls.map((url) => Number(new URL(url).port)));
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, chosen at random from 20000–32000 (see
 * above). Another process may still take it before you bind it, so use it at once.
 */
export async function getFreePort(): Promise<number> {
  const reserved = serverPorts();
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = randomInt(FIRST, LAST);
    if (handedOut.has(port) || reserved.has(port)) continue;
    // Claimed before the check, so that calls running at once never pick the same port.
    handedOut.add(port);
    if (await bindable(port)) return port;
    handedOut.delete(port);
  }
  throw new Error(`getFreePort: no free port found between ${FIRST} and ${LAST}`);
}

async function bindable(port: number): Promise<boolean> {
  const server = createServer();
  const bound = await new Promise<boolean>((done) => {
    server.once('listening', () => done(true));
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1');
  });
  if (bound) {
    server.close();
    await once(server, 'close');
  }
  return bound;
}
