import { ErrorCode } from '@tessera/service-kit';
import { GraphQLError } from 'graphql';
import { GatewayErrorCode } from '../errors.js';

/** How many subscriptions the gateway serves, and how far a subscriber may fall behind. */
export interface SubscriptionLimits {
  /** Subscriptions one caller (token subject, else client address) may have open at once. @default 100 */
  maxPerCaller: number;
  /**
   * Subscriptions this gateway process serves at once: about 17 KB of heap each, so 4,000 fit the
   * 192 MB old space `pnpm start` and the image give it beside ordinary traffic (8,000 exhaust it).
   * @default 4_000
   */
  maxTotal: number;
  /** Events waiting for one subscriber before it is cut off as too slow. @default 1_000 */
  maxQueuedEvents: number;
}

/** Every default of the subscription limits, written once. */
export const SUBSCRIPTION_LIMITS_DEFAULTS: SubscriptionLimits = { maxPerCaller: 100, maxTotal: 4_000, maxQueuedEvents: 1_000 };

/** A subscriber, as the limits count it: its transport and its caller (token subject, else client address). */
export interface Counted {
  transport: string;
  caller: string;
}

/** The subscriptions being served, by caller and by transport, held to the limits. */
export interface SubscriberCounts {
  /** Takes a place for one more subscription, or says why there is none. */
  reserve: (who: Counted) => GraphQLError | undefined;
  /** Gives a place back (the subscription ended, or never started). */
  release: (who: Counted) => void;
  /** Subscriptions being served, by transport. */
  active: () => Record<string, number>;
}

export function createSubscriberCounts(limits: Pick<SubscriptionLimits, 'maxPerCaller' | 'maxTotal'>): SubscriberCounts {
  const perCaller = new Map<string, number>();
  const perTransport: Record<string, number> = { ws: 0, sse: 0 };
  let total = 0;
  const count = ({ transport, caller }: Counted, delta: number) => {
    total += delta;
    perTransport[transport] = (perTransport[transport] ?? 0) + delta;
    const left = (perCaller.get(caller) ?? 0) + delta;
    if (left > 0) perCaller.set(caller, left);
    else perCaller.delete(caller);
  };
  return {
    reserve(who) {
      if ((perCaller.get(who.caller) ?? 0) >= limits.maxPerCaller) {
        return new GraphQLError(`At most ${limits.maxPerCaller} subscriptions per caller at once.`, {
          extensions: { code: GatewayErrorCode.SubscriptionLimit, subscriptions: { max: limits.maxPerCaller } },
        });
      }
      if (total >= limits.maxTotal) {
        return new GraphQLError('This gateway serves as many subscriptions as it can; retry shortly (another replica may have room).', {
          extensions: { code: ErrorCode.ServiceOverloaded },
        });
      }
      count(who, +1);
      return undefined;
    },
    release: (who) => count(who, -1),
    active: () => ({ ...perTransport }),
  };
}
