import { HeaderMap } from '@apollo/server';
import { composeKey, replyWithGraphQLError, type Identity, type Logger, type RawBodyRequest, type RedisClient } from '@tessera/service-kit';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { GraphQLError } from 'graphql';
import { GatewayErrorCode } from '../../errors.js';
import { withDefaults } from '../../options.js';
import type { GatewayContext, GatewayFeature } from '../../pipeline/index.js';

/** The per-caller limit (`RATE_LIMIT_*`). */
export interface RateLimitSettings {
  /** Points a caller may spend per window; 0 turns the rate limit off. @default 0 */
  points: number;
  /** @default 60 */
  windowSeconds: number;
  /** An operation costs its estimated cost in points (at least 1) rather than 1. @default true */
  costWeighted: boolean;
  /** Points every request is charged before it is parsed, whatever becomes of it. @default 1 */
  requestPoints: number;
  /** Request bytes a point buys, charged before parsing too (0: bytes cost nothing). @default 1_024 */
  bytesPerPoint: number;
}

/** Every default of the rate limit, written once (off until given points). */
export const RATE_LIMIT_DEFAULTS: RateLimitSettings = {
  points: 0,
  windowSeconds: 60,
  costWeighted: true,
  requestPoints: 1,
  bytesPerPoint: 1_024,
};

/** Options of {@link createRateLimit}: the settings (each defaulting as {@link RATE_LIMIT_DEFAULTS}) and what it works with. */
export interface RateLimitOptions extends Partial<RateLimitSettings> {
  /** Shared by every replica when given; each process counts alone otherwise. */
  redis?: RedisClient;
  /** Prefix of the Redis keys (`REDIS_KEY_PREFIX`). */
  keyPrefix: string;
  /** Who a request acts for, as authentication found it (the guard runs after authentication's). */
  identityOf: (request: RawBodyRequest) => Identity;
  /** An operation's estimated cost, once the operation limits estimated it (none: every operation costs 1). */
  costOf?: (context: GatewayContext) => number | undefined;
  logger: Logger;
}

/** The rate limit as the gateway wires it. */
export interface RateLimitFeature extends GatewayFeature {
  /**
   * What `admit` charges, for a request answered with an identical request's response (it never
   * reaches `admit`): that operation's estimated cost, less what the guard charged. The error to
   * answer with when the caller is out of points.
   */
  readonly chargeShared: (
    request: RawBodyRequest,
    identity: Identity,
    estimatedCost: number | undefined,
  ) => Promise<GraphQLError | undefined>;
}

/**
 * A rate limit per caller — the token's subject, else the client's address — kept in Redis so
 * that every replica counts the same budget, with an in-memory limiter that takes over while
 * Redis does not answer (rate-limiter-flexible's insurance). Cost-weighted by default, as
 * GitHub's and Shopify's GraphQL APIs are: a thousand cheap queries and one expensive one spend
 * alike. Every request is charged before it is parsed — a minimum per request and per byte — so
 * a caller already refused cannot keep the gateway parsing and validating documents that fail
 * (or miss the APQ cache) for free; the operation's cost, once estimated, is charged on top of
 * what that paid, so a request pays max(cost, its size charge). Keep `RATE_LIMIT_POINTS` at or
 * above `COST_MAX`, or the most expensive admitted operations can never pass.
 */
export function createRateLimit({
  redis,
  keyPrefix,
  identityOf,
  costOf = () => undefined,
  logger,
  ...given
}: RateLimitOptions): RateLimitFeature {
  const settings = withDefaults(RATE_LIMIT_DEFAULTS, given);
  const charge = createCharge(createLimiter(settings, keyPrefix, redis), settings, logger);
  // What the guard charged each HTTP request, not yet set against an operation's cost: shared by
  // the operations of one batch, so it is credited once.
  const credits = new WeakMap<object, Credit>();
  const events = createEventCharges(charge);
  return {
    name: 'rate limit',
    async guard(request, reply) {
      const points = sizeCharge(request, settings);
      if (points === 0) return;
      const refusal = await charge(callerKey(identityOf(request), request.ip), points);
      if (refusal) return replyWithGraphQLError(request, reply, refusal);
      credits.set(request, { points });
    },
    async admit({ contextValue }) {
      const credit = contextValue.httpRequest && credits.get(contextValue.httpRequest);
      const points = owed(settings, costOf(contextValue), credit);
      if (points === 0) return;
      const refusal = await charge(callerKey(contextValue.identity, contextValue.clientAddress), points);
      if (refusal) throw refusal;
    },
    // A WebSocket's subscribe messages never passed the guard: each pays as a request would, by its size.
    async prepareStream(request, context) {
      if (request.checked) return undefined;
      const bytes = Buffer.byteLength(JSON.stringify([request.query ?? null, request.variables ?? null, request.extensions ?? null]));
      const points = pointsForSize(bytes, settings);
      return points === 0 ? undefined : charge(callerKey(context.identity, context.clientAddress), points);
    },
    // Every event a subscription delivers costs its subscriber the operation's cost, as running it again would.
    chargeEvent: (context) => events.add(callerKey(context.identity, context.clientAddress), owed(settings, costOf(context), undefined)),
    close: () => events.close(),
    async chargeShared(request, identity, estimatedCost) {
      const points = owed(settings, estimatedCost, credits.get(request));
      return points === 0 ? undefined : charge(callerKey(identity, request.ip), points);
    },
  };
}

/** Points a request paid before parsing and has not yet set against its operations' cost. */
interface Credit {
  points: number;
}

/** The limiter: in Redis, with an in-memory one as its insurance, when there is a Redis; in memory alone otherwise. */
function createLimiter(settings: RateLimitSettings, keyPrefix: string, redis: RedisClient | undefined): RateLimiterAbstract {
  const limits = { points: settings.points, duration: settings.windowSeconds, keyPrefix: `${keyPrefix}rl` };
  const memory = new RateLimiterMemory(limits);
  return redis ? new RateLimiterRedis({ ...limits, storeClient: redis, insuranceLimiter: memory, rejectIfRedisNotReady: true }) : memory;
}

/** Charges `points` to a caller: nothing when they fit, the error to answer with when they do not. */
function createCharge(
  limiter: RateLimiterAbstract,
  settings: RateLimitSettings,
  logger: Logger,
): (caller: string, points: number) => Promise<GraphQLError | undefined> {
  return async (caller, points) => {
    try {
      await limiter.consume(caller, points);
      return undefined;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) {
        // Neither Redis nor the insurance answered: serve rather than refuse everyone.
        logger.warn({ err: rejection }, 'rate limit unavailable: request let through');
        return undefined;
      }
      return rateLimited(Math.max(1, Math.ceil(rejection.msBeforeNext / 1_000)), settings);
    }
  };
}

/** What a request is charged before it is parsed: the points per request, and its bytes (of the body, else the URL). */
function sizeCharge(request: RawBodyRequest, settings: RateLimitSettings): number {
  return pointsForSize(request.rawBody !== undefined ? Buffer.byteLength(request.rawBody) : request.url.length, settings);
}

/** What a request of `bytes` pays before it is parsed: the points of any request and those its size buys. */
function pointsForSize(bytes: number, { requestPoints, bytesPerPoint }: RateLimitSettings): number {
  return requestPoints + (bytesPerPoint > 0 ? Math.ceil(bytes / bytesPerPoint) : 0);
}

/** The cost of an operation less what its request paid already, taken off that credit; what is left to charge. */
function owed(settings: RateLimitSettings, estimatedCost: number | undefined, credit: Credit | undefined): number {
  const cost = settings.costWeighted ? Math.max(1, Math.ceil(estimatedCost ?? 1)) : 1;
  const covered = Math.min(cost, credit?.points ?? 0);
  if (credit) credit.points -= covered;
  return cost - covered;
}

/** One bucket per signed-in subject, else per client address. */
function callerKey(identity: Identity | undefined, address: string | undefined): string {
  return composeKey(identity?.sub !== undefined ? ['sub', identity.sub] : ['address', address ?? null]);
}

function rateLimited(retryAfterSeconds: number, settings: RateLimitSettings): GraphQLError {
  return new GraphQLError(
    `Rate limit reached: ${settings.points} points per ${settings.windowSeconds} s. Retry after ${retryAfterSeconds} s.`,
    {
      extensions: {
        code: GatewayErrorCode.RateLimited,
        rateLimit: { points: settings.points, windowSeconds: settings.windowSeconds, retryAfterSeconds },
        http: { status: 429, headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]) },
      },
    },
  );
}

/** How often the points subscriptions' events cost are taken from their callers' budgets. */
const EVENT_CHARGE_INTERVAL_MS = 1_000;

/**
 * Events are charged in batches: one event may go to thousands of subscribers at once, so what
 * each caller's subscriptions receive is added up here and taken from their budget once a
 * second — one round trip per caller, not per event. A caller found out of points is refused
 * from then until their window has room again: their subscriptions end at their next event.
 */
function createEventCharges(charge: (caller: string, points: number) => Promise<GraphQLError | undefined>) {
  const owing = new Map<string, number>();
  const refused = new Map<string, { error: GraphQLError; until: number }>();
  const flush = async () => {
    const batch = [...owing];
    owing.clear();
    await Promise.all(
      batch.map(async ([caller, points]) => {
        const refusal = await charge(caller, points);
        if (!refusal) return;
        const retryAfterSeconds = Number(
          (refusal.extensions.rateLimit as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds ?? 1,
        );
        refused.set(caller, { error: refusal, until: Date.now() + retryAfterSeconds * 1_000 });
      }),
    );
  };
  const timer = setInterval(() => void flush(), EVENT_CHARGE_INTERVAL_MS);
  timer.unref();
  return {
    add(caller: string, points: number): GraphQLError | undefined {
      const refusal = refused.get(caller);
      if (refusal && refusal.until > Date.now()) return refusal.error;
      if (refusal) refused.delete(caller);
      owing.set(caller, (owing.get(caller) ?? 0) + points);
      return undefined;
    },
    close: () => clearInterval(timer),
  };
}
