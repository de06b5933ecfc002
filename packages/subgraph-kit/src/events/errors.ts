import { ErrorCode } from '@tessera/service-kit';
import { GraphQLError } from 'graphql';

/** Where a topic stands, for a resume point it cannot serve. */
export interface TopicBounds {
  after: number;
  /** The oldest event still kept, if any. */
  oldest: number | undefined;
  /** The topic's last event (0: none yet). */
  latest: number;
}

/** A resume point the database can no longer (or never could) serve. */
export function eventsExpired({ after, oldest, latest }: TopicBounds): GraphQLError {
  const message =
    after > latest
      ? `There is no event ${after} to resume after: the last is ${latest}. Subscribe again without a resume point.`
      : `The events after ${after} are no longer kept. Subscribe again without a resume point.`;
  return new GraphQLError(message, { extensions: { code: ErrorCode.EventsExpired, events: { after, oldest: oldest ?? null, latest } } });
}

/** A subscription that fell further behind than its buffer holds. */
export function subscriberTooSlow(maxBuffered: number): GraphQLError {
  return new GraphQLError(
    `This subscription fell more than ${maxBuffered} events behind and was ended; resume after the last event received.`,
    { extensions: { code: ErrorCode.SubscriberTooSlow, maxBuffered } },
  );
}
