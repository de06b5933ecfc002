import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

/** Resolves when a part can serve traffic; rejects with the reason otherwise. */
export type ReadinessCheck = () => Promise<void>;

/** The probes' paths: open to anyone (load balancers, orchestrators), answering nothing internal. */
export const PROBE_PATHS: ReadonlySet<string> = new Set(['/health', '/ready']);

/** Not ready: which parts (named, for the probe's answer) and why (for the log only). */
export class NotReadyError extends Error {
  override name = 'NotReadyError';
  constructor(
    readonly parts: string[],
    message: string,
  ) {
    super(message);
  }
}

/**
 * One readiness check made of several parts' checks, run together: ready when all are,
 * otherwise a {@link NotReadyError} naming every failing part, with each one's reason.
 */
export function allReady(checks: Record<string, ReadinessCheck | undefined>): ReadinessCheck {
  const parts = Object.entries(checks).filter((entry): entry is [string, ReadinessCheck] => entry[1] !== undefined);
  return async () => {
    const results = await Promise.allSettled(parts.map(([, check]) => check()));
    const failing = results.flatMap((result, i) =>
      result.status === 'rejected' ? [[parts[i]![0], (result.reason as Error).message] as const] : [],
    );
    if (failing.length)
      throw new NotReadyError(
        failing.map(([name]) => name),
        failing.map(([name, reason]) => `${name}: ${reason}`).join('; '),
      );
  };
}

/** Options of {@link registerHealthRoutes}. */
export interface HealthRoutesOptions {
  readiness: ReadinessCheck;
  logger: Logger;
  /** True once shutdown began: not ready any more, whatever the parts say. */
  draining: () => boolean;
}

/**
 * `GET /health` (liveness: the process answers) and `GET /ready` (readiness: `readiness()`
 * resolves and the service is not draining; otherwise 503 naming the parts that are not, and
 * nothing more — no driver error reaches a probe's caller). A change of state is logged once,
 * with its reason; probes polling an unchanged state log nothing.
 */
export function registerHealthRoutes(app: FastifyInstance, { readiness, logger, draining }: HealthRoutesOptions): void {
  let last: string | undefined;
  const changed = (state: string) => {
    const isNew = state !== last;
    last = state;
    return isNew;
  };
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_request, reply) => {
    if (draining()) {
      if (changed('draining')) logger.info('not ready: draining');
      return reply.code(503).send({ status: 'draining' });
    }
    try {
      await readiness();
      if (changed('ready')) logger.info('ready');
      return { status: 'ready' };
    } catch (error) {
      const parts = error instanceof NotReadyError ? error.parts : ['service'];
      if (changed(`unavailable:${parts.join(',')}`)) logger.warn({ parts, reason: (error as Error).message }, 'not ready');
      return reply.code(503).send({ status: 'unavailable', parts });
    }
  });
}
