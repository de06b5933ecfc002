/**
 * Tessera scaled out on one machine, with the real parts (Debian packages): HAProxy in front of
 * the gateway replicas and of each subgraph's replicas, PgBouncer in transaction mode in front
 * of PostgreSQL, one shared Redis. Each part is a process of its own, started from a config
 * written here into a throwaway directory; the services are started and stopped one replica
 * at a time, so tests can kill, restart and roll them.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { spawnServiceProcess, waitForReady, waitUntil, type ServiceName } from '@tessera/test-helpers';

/** A process this module started. */
export interface Started {
  child: ChildProcess;
  logs(): string;
  /** Sends `signal` (SIGTERM by default) and waits for the exit; the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

function track(child: ChildProcess): Started {
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk) => (output = (output + String(chunk)).slice(-50_000)));
  return {
    child,
    logs: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      return ((await exited) as [number | null])[0];
    },
  };
}

/** Waits until something accepts TCP connections on 127.0.0.1:`port`. */
export async function waitForPort(port: number, what: string, process?: Started): Promise<void> {
  const open = () =>
    new Promise<boolean>((done) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => done(socket.end() !== undefined));
      socket.once('error', () => done(false));
    });
  await waitUntil(
    async () => {
      if (process && process.child.exitCode !== null) throw new Error(`${what} exited (${process.child.exitCode}):\n${process.logs()}`);
      return open();
    },
    { timeoutMs: 20_000, intervalMs: 100, what },
  );
}

/** Options of {@link startPgBouncer}. */
export interface PgBouncerOptions {
  /** An empty directory for its config, pid and socket files (the `postgres` user must be able to write it when we are root). */
  dir: string;
  port: number;
  /** The PostgreSQL server behind it. */
  server: { host: string; port: number };
  /** Roles that may log in through it (trust: PostgreSQL checks them). */
  users: string[];
  /** Server connections per database and user. */
  poolSize?: number;
}

/**
 * PgBouncer (Debian's, 1.18) in transaction mode: each client transaction gets any server
 * connection, so session state (named prepared statements before 1.21, SET, session advisory
 * locks) cannot be relied on through it — the services turn named statements off and
 * migrate over a direct connection.
 */
export async function startPgBouncer({ dir, port, server, users, poolSize = 20 }: PgBouncerOptions): Promise<Started> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'userlist.txt'), users.map((user) => `"${user}" ""`).join('\n') + '\n');
  await writeFile(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${server.host} port=${server.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      `unix_socket_dir = ${dir}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${poolSize}`,
      'max_client_conn = 1000',
      `admin_users = ${users[0]}`,
      'server_reset_query =',
      '',
    ].join('\n'),
  );
  // PgBouncer refuses to run as root; Debian's postgres user runs it, as it runs PostgreSQL here.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    await chmod(dir, 0o755);
    await chown(dir, ...postgresIds());
  }
  const command = asRoot
    ? ['runuser', '-u', 'postgres', '--', 'pgbouncer', join(dir, 'pgbouncer.ini')]
    : ['pgbouncer', join(dir, 'pgbouncer.ini')];
  const started = track(spawn(command[0]!, command.slice(1), { cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] }));
  await waitForPort(port, 'PgBouncer', started);
  return started;
}

function postgresIds(): [number, number] {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
  return [id('-u'), id('-g')];
}

/** One HAProxy frontend: a port and the replicas behind it. */
export interface Frontend {
  name: string;
  port: number;
  servers: Array<{ name: string; port: number }>;
  /**
   * The replicas take only requests the gateway signed, each signature once (its nonce is kept in
   * the Redis they share): a request that may have reached a replica is never sent again, since
   * the copy would be refused as a replay. Only a request that found no connection is; the
   * gateway's own retries (signed anew) cover the rest.
   */
  signed?: boolean;
}

/**
 * HAProxy (Debian's, 2.6) in front of each tier: round robin over the replicas that answer
 * `GET /ready` (checked every 250 ms; down after 2 failures, up after 2 successes — a
 * draining replica answers 503 before it stops listening). A request that found no
 * connection, or no answer at all, goes to another replica (`retry-on`, `redispatch`):
 * GraphQL bodies are small enough to be buffered and sent again. In front of the subgraphs, only
 * a request that found no connection is sent again (see {@link Frontend.signed}). An error answer
 * from a replica is passed on (the gateway's own retries handle a subgraph's).
 *
 * Long-lived connections: a WebSocket, once upgraded, is a tunnel (`timeout tunnel`: an hour
 * without a frame; the gateway pings every 15 s); a stream of server-sent events stays a
 * response whose silences the 30 s client and server timeouts bound (the gateway and the
 * subgraphs send a heartbeat every 15 s). A replica that drains ends both itself (WebSocket
 * 1012, a stream's `retry:`), and its clients reconnect through HAProxy to another.
 */
export function haproxyConfig(frontends: Frontend[], statsSocket: string): string {
  const lines = [
    'global',
    `  stats socket ${statsSocket} mode 600 level admin`,
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  timeout http-keep-alive 10s',
    '  timeout tunnel 1h',
    '  timeout client-fin 5s',
    '  option http-buffer-request',
    '  retries 3',
    '  option redispatch 1',
    '  retry-on conn-failure empty-response response-timeout',
    '  balance roundrobin',
    '  option httpchk GET /ready',
    '  http-check expect status 200',
    '  default-server inter 250ms fall 2 rise 2',
  ];
  for (const { name, port, servers, signed } of frontends) {
    lines.push(`frontend ${name}`, `  bind 127.0.0.1:${port}`, `  default_backend ${name}`, `backend ${name}`);
    if (signed) lines.push('  retry-on conn-failure');
    for (const server of servers) lines.push(`  server ${server.name} 127.0.0.1:${server.port} check`);
  }
  return `${lines.join('\n')}\n`;
}

/** Starts HAProxy with {@link haproxyConfig} in `dir`, in the foreground. */
export async function startHaproxy(
  dir: string,
  frontends: Frontend[],
): Promise<Started & { serverStates(): Promise<Record<string, ServerState>> }> {
  await mkdir(dir, { recursive: true });
  const socket = join(dir, 'haproxy.sock');
  await writeFile(join(dir, 'haproxy.cfg'), haproxyConfig(frontends, socket));
  const started = track(spawn('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'pipe', 'pipe'] }));
  for (const { port, name } of frontends) await waitForPort(port, `HAProxy ${name}`, started);
  return { ...started, serverStates: () => serverStates(socket) };
}

/** What HAProxy knows of one server. */
export interface ServerState {
  /** `UP`, `DOWN`, … */
  status: string;
  /** Requests (sessions) it was given since HAProxy started. */
  sessions: number;
}

/** `backend/server` → its state, from HAProxy's runtime API. */
async function serverStates(socket: string): Promise<Record<string, ServerState>> {
  const csv = await new Promise<string>((done, fail) => {
    let text = '';
    const connection = createConnection(socket, () => connection.end('show stat\n'));
    connection.on('data', (chunk) => (text += String(chunk)));
    connection.on('end', () => done(text));
    connection.on('error', fail);
  });
  const [header, ...rows] = csv.replace(/^# /, '').trim().split('\n');
  const columns = header!.split(',');
  const at = (row: string[], column: string) => row[columns.indexOf(column)]!;
  return Object.fromEntries(
    rows
      .map((line) => line.split(','))
      .filter((row) => !['FRONTEND', 'BACKEND'].includes(at(row, 'svname')))
      .map((row) => [
        `${at(row, 'pxname')}/${at(row, 'svname')}`,
        { status: at(row, 'status').split(' ')[0]!, sessions: Number(at(row, 'stot')) },
      ]),
  );
}

/** Starts one replica of a service (as the e2e tests run it) with `env` on top of this process's environment; with `ready`, waits for `/ready` on `port`. */
export async function startReplica(
  service: ServiceName,
  env: Record<string, string>,
  port: number,
  { ready = true } = {},
): Promise<Started> {
  const started = track(spawnServiceProcess(service, env));
  if (ready) {
    try {
      await waitForReady(`http://127.0.0.1:${port}/ready`, started.child, 120_000, () => started.logs());
    } catch (error) {
      await started.stop('SIGKILL');
      throw error;
    }
  }
  return started;
}
