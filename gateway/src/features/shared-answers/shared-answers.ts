import type { ApolloServerPlugin, HTTPGraphQLResponse } from '@apollo/server';
import {
  nameOperationSpan,
  replyWithGraphQLError,
  type ExecuteAround,
  type Identity,
  type RawBodyRequest,
  type RequestLine,
  type RequestLog,
} from '@tessera/service-kit';
import { OperationTypeNode, type GraphQLError } from 'graphql';
import { Counter, type Registry } from 'prom-client';
import type { GatewayContext, GatewayFeature } from '../../pipeline/index.js';
import { requestKey } from './request-key.js';

/** What the leading request of a flight learns about itself on the way through Apollo's pipeline. */
export interface AnswerTicket {
  /** Set once its operation is known to be a query; nothing else is ever shared. */
  query: boolean;
  /** Its estimated cost, charged to each request that takes its answer. */
  cost?: number;
  /** Its request log line, logged again for each of them. */
  line?: RequestLine;
  /** Its operation is not a query: the identical requests waiting run on their own at once. */
  decline(): void;
}

/** Options of {@link createSharedAnswers}. */
export interface SharedAnswersOptions {
  /** The caller a request acts for, as authentication found it. */
  identityOf: (request: RawBodyRequest) => Identity;
  /** The rate limit's charge for a request that takes another's answer (absent: no rate limit). */
  chargeShared?: (request: RawBodyRequest, identity: Identity, estimatedCost: number | undefined) => Promise<GraphQLError | undefined>;
  /** An operation's estimated cost, once the operation limits estimated it (charged to each request that takes its answer). */
  costOf?: (context: GatewayContext) => number | undefined;
  /** The request log the answered requests are logged and counted in. */
  log: Pick<RequestLog<GatewayContext>, 'record'>;
  registry: Registry;
}

/** The shared answers as the gateway wires them, and what they keep of a leading request's log line. */
export interface SharedAnswersFeature extends GatewayFeature {
  /** For the request log's `onLine`: a leading request's line, kept for the requests that take its answer. */
  keepLine(context: GatewayContext, line: RequestLine): void;
}

interface Answer {
  /** The leader's response, its body encoded once for every request that takes it. */
  response: HTTPGraphQLResponse & { bytes: Buffer };
  ticket: AnswerTicket;
  leader: string;
}

/**
 * Identical HTTP requests in flight at once answered with one response: while a request runs
 * through Apollo's pipeline, a request with the same key (`requestKey`: method, target, body and
 * every header that may change the answer, so the same caller) waits for it and, when it turns out
 * to be a query answered 200, is sent the same status, headers and serialised body — without
 * parsing, validating, planning or serialising again. This is where Hive Gateway's inbound
 * deduplication shares its answer; the deduplication feature below it still joins queries that differ
 * only in how they were sent. Each request still passes the guards (authentication, the
 * rate limit's charge per request and per byte, the document's size) on its own, and is charged
 * the shared operation's cost, logged, counted and traced as itself. Mutations, subscriptions,
 * batches, refusals and streamed answers are never shared: the requests waiting on one run on
 * their own. Nothing is kept once the response is out: this is not a cache.
 */
export function createSharedAnswers(options: SharedAnswersOptions): SharedAnswersFeature {
  const flights = new Map<string, Promise<Answer | undefined>>();
  const tickets = new WeakMap<object, AnswerTicket>();
  const lead = leader(flights, tickets);
  const follow = follower(options);
  const ticketOf = (context: GatewayContext) => (context.httpRequest ? tickets.get(context.httpRequest) : undefined);
  return {
    name: 'shared answers',
    async around(request, reply, run) {
      const key = requestKey(request);
      if (key === undefined) return run();
      const flight = flights.get(key);
      return flight ? follow(flight, request, reply, run) : lead(key, request, run);
    },
    plugins: [ticketPlugin(ticketOf, options.costOf ?? (() => undefined))],
    keepLine(context, line) {
      const ticket = ticketOf(context);
      if (ticket) ticket.line = line;
    },
  };
}

/** The first request of a key: runs Apollo's pipeline with a ticket, and lands the answer for the requests that waited (or none, if it is not to be shared). */
function leader(flights: Map<string, Promise<Answer | undefined>>, tickets: WeakMap<object, AnswerTicket>) {
  return async (key: string, request: RawBodyRequest, run: () => Promise<HTTPGraphQLResponse>) => {
    let settle!: (answer: Answer | undefined) => void;
    const flight = new Promise<Answer | undefined>((resolve) => (settle = resolve));
    flights.set(key, flight);
    const land = (answer: Answer | undefined) => {
      if (flights.get(key) === flight) flights.delete(key);
      settle(answer);
    };
    const ticket: AnswerTicket = { query: false, decline: () => land(undefined) };
    tickets.set(request, ticket);
    try {
      const response = await run();
      if (!ticket.query || (response.status ?? 200) !== 200 || response.body.kind !== 'complete') {
        land(undefined);
        return response;
      }
      const answer: Answer = { response: { ...response, bytes: Buffer.from(response.body.string) }, ticket, leader: request.id };
      land(answer);
      return answer.response;
    } catch (error) {
      land(undefined);
      throw error;
    }
  };
}

/** A request that found its key in flight: the leader's answer, paid for, logged and counted as itself; or its own run when there is none to take. */
function follower({ identityOf, chargeShared, log, registry }: SharedAnswersOptions) {
  const shared = new Counter({
    name: 'graphql_answers_shared_total',
    help: 'Requests answered with the response of an identical request in flight.',
    registers: [registry],
  });
  return async (flight: Promise<Answer | undefined>, ...[request, reply, run]: Parameters<ExecuteAround>) => {
    const started = process.hrtime.bigint();
    const answer = await flight;
    if (!answer) return run();
    const refusal = await chargeShared?.(request, identityOf(request), answer.ticket.cost);
    if (refusal) {
      void replyWithGraphQLError(request, reply, refusal);
      return null;
    }
    shared.inc();
    const { line } = answer.ticket;
    if (line) {
      nameOperationSpan(line.operationType, line.operationName);
      log.record(line, Number(process.hrtime.bigint() - started) / 1e9, { sharedWith: answer.leader });
    }
    return answer.response;
  };
}

/** What a leading request's ticket learns in Apollo's pipeline: whether it is a query (else the waiting requests run at once), and its cost. */
function ticketPlugin(
  ticketOf: (context: GatewayContext) => AnswerTicket | undefined,
  costOf: (context: GatewayContext) => number | undefined,
): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      const ticket = ticketOf(contextValue);
      if (!ticket) return;
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation === OperationTypeNode.QUERY) ticket.query = true;
          else ticket.decline();
        },
        async willSendResponse({ contextValue: context }) {
          ticket.cost = costOf(context);
        },
      };
    },
  };
}
