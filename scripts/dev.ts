/**
 * `pnpm dev`: the whole platform for development — embedded databases with demo data, Apollo
 * Sandbox, the four services bound to loopback, and development's own JWT secret and signing
 * key (generated once under `.data/`). When the gateway is ready it prints tokens to paste
 * into Sandbox. Ctrl-C stops everything.
 */
import { resolve } from 'node:path';
import { devSecrets, devSecretsEnv, mintToken } from './dev/secrets.ts';
import { runServices, type DevService } from './dev/services.ts';

const root = resolve(import.meta.dirname, '..');
const SERVICES: DevService[] = [
  { name: 'users', entry: 'subgraphs/users/src/main.ts', color: 34 },
  { name: 'products', entry: 'subgraphs/products/src/main.ts', color: 35 },
  { name: 'reviews', entry: 'subgraphs/reviews/src/main.ts', color: 32 },
  { name: 'gateway', entry: 'gateway/src/main.ts', color: 36 },
];
/** Every scope the schema and the subgraphs know. */
const ALL_SCOPES = ['users:write', 'users:read-email', 'products:write', 'reviews:moderate'];

const secrets = await devSecrets();
const env: NodeJS.ProcessEnv = {
  ...process.env,
  NODE_ENV: 'development',
  HOST: process.env.HOST ?? '127.0.0.1',
  // The subgraphs boot beside the gateway: a query sent meanwhile opens a circuit, which in
  // development had better give the booted subgraph another try within a second than five.
  BREAKER_HALF_OPEN_AFTER_MS: process.env.BREAKER_HALF_OPEN_AFTER_MS ?? '1000',
  ...devSecretsEnv(secrets),
};
const services = runServices(SERVICES, { cwd: root, env });
// Ctrl-C (or a SIGTERM): each service drains and stops; then so does this, cleanly. The signal may
// come twice (from the terminal, and relayed by tsx): the services are asked once.
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void services.stop(signal).then(() => {
      console.log('Tessera stopped.');
      process.exit(0);
    });
  });
}
// One service dying on its own (a bad variable, a port taken): the others are stopped, and so is this.
void services.crashed.then(async ({ name, code, signal }) => {
  console.error(`${name} exited (${signal ?? `code ${code}`}): stopping the others.`);
  await services.stop('SIGTERM');
  process.exit(1);
});

const port = env.GATEWAY_PORT ?? '4000';
const gateway = `http://127.0.0.1:${port}`;
// The gateway is ready without its subgraphs (they cost their fields, not its place); the demo
// data needs all three, seeded.
const subgraphPorts = [env.USERS_PORT ?? '4001', env.PRODUCTS_PORT ?? '4002', env.REVIEWS_PORT ?? '4003'];
await Promise.all([`${gateway}/ready`, ...subgraphPorts.map((p) => `http://127.0.0.1:${p}/ready`)].map(untilReady));
const { user, admin, product } = await demoData(`${gateway}/graphql`).catch(async (error: unknown) => {
  // Not leave the four services running behind a failed start.
  await services.stop('SIGTERM');
  throw error;
});
const userToken = await mintToken(secrets.jwtSecret, { sub: user.id, ttl: '12h' });
const adminToken = await mintToken(secrets.jwtSecret, { sub: admin.id, scopes: ALL_SCOPES, ttl: '12h' });
console.log(`
  Tessera is ready: http://localhost:${port}/graphql (Apollo Sandbox).
  In Sandbox, Connection settings → Headers, add one of these:

  Demo user ${user.username} (${user.id}):
    Authorization: Bearer ${userToken}
  Demo admin ${admin.username} (${admin.id}), scopes ${ALL_SCOPES.join(' ')}:
    Authorization: Bearer ${adminToken}

  Or: curl -s http://localhost:${port}/graphql -H 'content-type: application/json' \\
        -H 'authorization: Bearer ${userToken}' \\
        -d '{"query":"mutation { createReview(input: { productId: \\"${product.id}\\", rating: 5, body: \\"Lovely\\" }) { id author { username } } }"}'

  Live, in another terminal first (each review written for that product arrives as it commits):
      curl -sN http://localhost:${port}/graphql -H 'content-type: application/json' -H 'accept: text/event-stream' \\
        -d '{"query":"subscription { reviewAdded(productId: \\"${product.id}\\") { body rating author { username } product { name } } }"}'

  More tokens: pnpm run token --sub <userId> [--scopes "…"] [--ttl 1h]
`);

/**
 * Two users and a product of the demo data, as the gateway serves them (whatever seed made them).
 * Asked until the gateway answers without an error: a caller that tried it while the subgraphs
 * booted (Sandbox polling, a curl) may have opened a subgraph's circuit, which stays open a moment.
 */
async function demoData(url: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ users(first: 2) { edges { node { id username } } } topProducts(first: 1) { id } }' }),
    });
    const { data, errors } = (await response.json()) as {
      data?: { users: { edges: Array<{ node: { id: string; username: string } }> }; topProducts: Array<{ id: string }> } | null;
      errors?: unknown[];
    };
    if (errors?.length && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 500));
      continue;
    }
    const [user, admin] = data?.users.edges.map((edge) => edge.node) ?? [];
    const [product] = data?.topProducts ?? [];
    if (!user || !admin || !product)
      throw new Error('No demo data: start with empty data directories (rm -rf .data) or set SEED_ON_EMPTY=true.');
    return { user, admin, product };
  }
}

async function untilReady(url: string): Promise<void> {
  for (;;) {
    const ready = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((done) => setTimeout(done, 500));
  }
}
