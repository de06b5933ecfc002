import { HeaderMap } from '@apollo/server';
import { composeKey, type Identity, type Logger } from '@tessera/service-kit';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { GraphQLError } from 'graphql';
import { GatewayErrorCode } from '../../errors.js';
import type { AdmissionStep } from '../admission/index.js';

/** The per-caller limit. */
export interface RateLimitSettings {
  /** Points a caller may spend per window. */
  points: number;
  windowSeconds: number;
  /** An operation costs its estimated cost in points (at least 1) rather than 1. */
  costWeighted: boolean;
}

/** What the rate limit reads from the request context. */
export interface RateLimitContext {
  identity?: Identity;
  /** The client's address (behind `TRUST_PROXY`, the forwarded one). */
  clientAddress?: string;
  /** The operation's estimated cost, when operation limits are on. */
  cost?: { estimated: number };
}

/** Options of {@link createRateLimit}. */
export interface RateLimitOptions {
  settings: RateLimitSettings;
  /** Shared by every replica when given; each process counts alone otherwise. */
  redis?: Redis;
  keyPrefix: string;
  logger: Logger;
}

/**
 * A rate limit per caller — the token's subject, else the client's address — kept in Redis so
 * that every replica counts the same budget, with an in-memory limiter that takes over while
 * Redis does not answer (rate-limiter-flexible's insurance). Cost-weighted by default, as
 * GitHub's and Shopify's GraphQL APIs are: a thousand cheap queries and one expensive one spend
 * alike. Runs after cost analysis (keep `RATE_LIMIT_POINTS` at or above `COST_MAX`, or the most
 * expensive admitted operations can never pass).
 */
export function createRateLimit<C extends RateLimitContext>({ settings, redis, keyPrefix, logger }: RateLimitOptions): AdmissionStep<C> {
  const options = { points: settings.points, duration: settings.windowSeconds, keyPrefix: `${keyPrefix}rl` };
  const memory = new RateLimiterMemory(options);
  const limiter: RateLimiterAbstract = redis
    ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: memory, rejectIfRedisNotReady: true })
    : memory;
  return async ({ contextValue }) => {
    const sub = contextValue.identity?.sub;
    const caller = composeKey(sub !== undefined ? ['sub', sub] : ['address', contextValue.clientAddress ?? null]);
    const points = settings.costWeighted ? Math.max(1, Math.ceil(contextValue.cost?.estimated ?? 1)) : 1;
    try {
      await limiter.consume(caller, points);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) {
        // Neither Redis nor the insurance answered: serve rather than refuse everyone.
        logger.warn({ err: rejection }, 'rate limit unavailable: request let through');
        return;
      }
      throw rateLimited(Math.max(1, Math.ceil(rejection.msBeforeNext / 1_000)), settings);
    }
  };
}

function rateLimited(retryAfterSeconds: number, settings: RateLimitSettings): GraphQLError {
  return new GraphQLError(`Rate limit reached: ${settings.points} points per ${settings.windowSeconds} s. Retry after ${retryAfterSeconds} s.`, {
    extensions: {
      code: GatewayErrorCode.RateLimited,
      rateLimit: { points: settings.points, windowSeconds: settings.windowSeconds, retryAfterSeconds },
      http: { status: 429, headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]) },
    },
  });
}
