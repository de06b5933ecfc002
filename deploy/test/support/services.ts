import { getFreePort, TEST_AUTH_ENV } from '@tessera/test-helpers';

export const SUBGRAPHS = ['users', 'products', 'reviews'] as const;
export const SERVICES = ['gateway', ...SUBGRAPHS] as const;
export type Service = (typeof SERVICES)[number];

/**
 * The four services on free loopback ports, each with the environment an image runs with here:
 * the test secrets, the subgraphs' databases (`databaseEnv`, verified not applied: the migration
 * jobs apply them) with a little demo data, and the gateway pointed at the subgraphs.
 */
export async function servicesOnFreePorts(
  databaseEnv: Record<string, string>,
): Promise<{ ports: Record<Service, number>; env: Record<Service, Record<string, string>> }> {
  const ports = {} as Record<Service, number>;
  const env = {} as Record<Service, Record<string, string>>;
  for (const service of SERVICES) ports[service] = await getFreePort();
  const common = {
    ...TEST_AUTH_ENV,
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    ...Object.fromEntries(SUBGRAPHS.map((s) => [`SUBGRAPH_${s.toUpperCase()}_URL`, `http://127.0.0.1:${ports[s]}/graphql`])),
  };
  for (const service of SUBGRAPHS) {
    const name = service.toUpperCase();
    env[service] = {
      ...common,
      ...databaseEnv,
      [`${name}_PORT`]: String(ports[service]),
      [`${name}_METRICS_PORT`]: String(await getFreePort()),
      DATABASE_MIGRATIONS: 'verify',
      SEED_ON_EMPTY: 'true',
      SEED_USERS: '5',
      SEED_PRODUCTS: '3',
      SEED_REVIEWS: '10',
    };
  }
  env.gateway = { ...common, GATEWAY_PORT: String(ports.gateway), GATEWAY_METRICS_PORT: String(await getFreePort()) };
  return { ports, env };
}
