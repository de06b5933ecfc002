import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

/** Resolves when a part can serve traffic; rejects with the reason otherwise. */
export type ReadinessCheck = () => Promise<void>;

/** The probes' paths: open to anyone (load balancers, orchestrators), answering nothing internal. */
export const PROBE_PATHS: ReadonlySet<string> = new Set(['/health', '/ready']);

/**
 * One readiness check made of several parts' checks, run together: ready when all are,
 * otherwise rejected with every failing part's reason (`name: reason; …`).
 */
export function allReady(checks: Record<string, ReadinessCheck | undefined>): ReadinessCheck {
  const parts = Object.entries(checks).filter((entry): entry is [string, ReadinessCheck] => entry[1] !== undefined);
  return async () => {
    const results = await Promise.allSettled(parts.map(([, check]) => check()));
    const failures = results.flatMap((result, i) => (result.status === 'rejected' ? [`${parts[i]![0]}: ${(result.reason as Error).message}`] : []));
    if (failures.length) throw new Error(failures.join('; '));
  };
}

/**
 * `GET /health` (liveness: the process answers) and `GET /ready` (readiness: `readiness()`
 * resolves; otherwise 503 with the reason).
 */
export function registerHealthRoutes(app: FastifyInstance, { readiness, logger }: { readiness: ReadinessCheck; logger: Logger }): void {
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_request, reply) => {
    try {
      await readiness();
      return { status: 'ready' };
    } catch (error) {
      logger.warn({ err: error }, 'not ready');
      return reply.code(503).send({ status: 'unavailable', reason: (error as Error).message });
    }
  });
}
