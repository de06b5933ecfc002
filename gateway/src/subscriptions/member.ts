import { ErrorCode } from '@tessera/service-kit';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { GatewayContext } from '../pipeline/index.js';
import { createChannel, type ChannelEnd } from './channel.js';
import type { Counted } from './counts.js';
import type { Member, SubscriptionEvent, SubscriptionGroup } from './group.js';
import type { SubscriptionMetrics } from './metrics.js';

/** What formats an error as clients see it (Apollo Server's `formatError`). */
export type FormatError = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

/** A subscriber joining a group: who it is, whose context its events are charged to, when its token expires. */
export interface Joining extends Counted {
  context: GatewayContext;
  expiresAt?: number;
}

/** What a subscriber's membership runs on. */
export interface MembershipDeps {
  maxQueuedEvents: number;
  /** Charges one event to its subscriber; an error ends the subscription. */
  chargeEvent: (context: GatewayContext) => GraphQLError | undefined;
  formatError: FormatError;
  metrics: SubscriptionMetrics;
  /** The subscriber left: its place in the counts is free again. */
  left: (who: Counted) => void;
}

/** A stream of a subscription's events for one subscriber: its events, how it ended, and how to stop it. */
export interface MemberStream {
  events: AsyncIterable<SubscriptionEvent>;
  ended: Promise<ChannelEnd>;
  cancel(): void;
}

/**
 * A subscriber in a group: a bounded channel of its own (the group never waits for it; one too far
 * behind is cut off), each event charged to it, and its token's expiry; leaving takes it out of the
 * group (the last to leave ends it) and out of the counts.
 */
export function joinGroup(group: SubscriptionGroup, who: Joining, deps: MembershipDeps): MemberStream {
  const channel = createChannel<SubscriptionEvent>(deps.maxQueuedEvents);
  const finish = (last: SubscriptionEvent) => channel.push(last) && channel.end();
  const member: Member = {
    take(event) {
      const refusal = expired(who.expiresAt) ?? deps.chargeEvent(who.context);
      if (refusal) {
        deps.metrics.dropped.inc({ reason: refusal.extensions.code === ErrorCode.Unauthenticated ? 'expired' : 'rate_limited' });
        finish(lastEvent(refusal, deps.formatError));
        return false;
      }
      if (channel.push(event)) return true;
      deps.metrics.dropped.inc({ reason: 'slow' });
      return false;
    },
    end: (how, last) => (last && how.kind === 'complete' ? finish(last) : channel.end(how)),
  };
  group.members.add(member);
  const expiry =
    who.expiresAt === undefined
      ? undefined
      : setTimeout(() => member.take(lastEvent(expired(0)!, deps.formatError)), Math.max(0, who.expiresAt - Date.now()));
  expiry?.unref();
  void channel.ended.then(() => {
    clearTimeout(expiry);
    deps.left(who);
    group.members.delete(member);
    if (group.members.size === 0) group.close();
  });
  return { events: channel, ended: channel.ended, cancel: () => channel.end() };
}

/** UNAUTHENTICATED once the caller's token has expired. */
function expired(expiresAt: number | undefined): GraphQLError | undefined {
  if (expiresAt === undefined || Date.now() < expiresAt) return undefined;
  return new GraphQLError('The token has expired: subscribe again with a new one.', { extensions: { code: ErrorCode.Unauthenticated } });
}

/** The last event of a subscription the gateway ends: the reason, as an error. */
export function lastEvent(error: GraphQLError, formatError: FormatError): SubscriptionEvent {
  const result = { errors: [formatError(error.toJSON(), error)] };
  return { result, json: JSON.stringify(result) };
}
