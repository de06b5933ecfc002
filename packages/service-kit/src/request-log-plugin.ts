import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import { boundedLabel } from './metrics.js';
import { nameOperationSpan } from './tracing.js';

/** Options of {@link createRequestLog}. */
export interface RequestLogOptions<C> {
  /** What a service adds to the line (the gateway: the estimated cost). */
  fields?: (context: C) => Record<string, unknown>;
  /** Where rate, errors and duration per operation are recorded. */
  registry?: Registry;
  /** Distinct operation names kept as label values; later ones count as `other`. @default 200 */
  maxOperationNames?: number;
  /** Told each request's line as it is logged (the gateway keeps it for the identical requests that share the answer). */
  onLine?: (context: C, line: RequestLine) => void;
}

/** The facts of one GraphQL request, as logged. */
export interface RequestLine {
  operationName: string | null;
  operationType: string | null;
  durationMs: number;
  outcome: 'ok' | 'error';
  errorCodes?: string[];
  status: number;
  [field: string]: unknown;
}

/** The request log: Apollo's plugin, and the same line and metrics for a request answered outside Apollo's pipeline. */
export interface RequestLog<C extends BaseContext> {
  plugin: ApolloServerPlugin<C>;
  /** Logs and counts `line` (another request's facts) with this request's own duration and `extra` fields. */
  record(line: RequestLine, seconds: number, extra?: Record<string, unknown>): void;
}

/** Latency buckets, in seconds, from a cached read to a request at its deadline. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * One structured line per GraphQL request — operation name and type, duration, outcome, the
 * error codes returned — and the same facts as metrics (rate, errors, duration per operation:
 * RED), so a dashboard and a log search agree.
 */
export function createRequestLog<C extends BaseContext>(logger: Logger, options: RequestLogOptions<C> = {}): RequestLog<C> {
  const { fields = () => ({}), registry, maxOperationNames = 200, onLine } = options;
  const red = registry && createRedMetrics(registry);
  const operationName = boundedLabel(maxOperationNames);
  const record = (line: RequestLine, seconds: number, extra: Record<string, unknown> = {}) => {
    if (red) {
      const labels = { operation_type: line.operationType ?? 'unknown', operation_name: operationName(line.operationName ?? undefined) };
      red.requests.inc({ ...labels, outcome: line.outcome });
      red.duration.observe(labels, seconds);
      for (const code of line.errorCodes ?? []) red.errors.inc({ code });
    }
    logger.info({ ...line, durationMs: Math.round(seconds * 1e5) / 100, ...extra }, 'graphql request');
  };
  const plugin: ApolloServerPlugin<C> = {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async didResolveOperation({ operationName: name, operation }) {
          nameOperationSpan(operation?.operation, name);
        },
        async willSendResponse({ operationName: name, operation, errors, response, contextValue }) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const codes = [...new Set((errors ?? []).map(errorCode))];
          const line: RequestLine = {
            operationName: name ?? null,
            operationType: operation?.operation ?? null,
            durationMs: 0,
            outcome: codes.length === 0 ? 'ok' : 'error',
            errorCodes: codes.length ? codes : undefined,
            status: response.http.status ?? 200,
            ...fields(contextValue),
          };
          record(line, seconds);
          onLine?.(contextValue, line);
        },
      };
    },
  };
  return { plugin, record };
}

/** An error's `extensions.code`; INTERNAL_SERVER_ERROR when it has none. */
function errorCode(error: GraphQLError): string {
  const code = error.extensions?.code;
  return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
}

/** The request log's Apollo plugin alone (a subgraph's). */
export function createRequestLogPlugin<C extends BaseContext>(logger: Logger, options: RequestLogOptions<C> = {}): ApolloServerPlugin<C> {
  return createRequestLog(logger, options).plugin;
}

function createRedMetrics(registry: Registry) {
  return {
    requests: new Counter({
      name: 'graphql_requests_total',
      help: 'GraphQL requests by operation type and name, and outcome (ok, or error when any error was returned).',
      labelNames: ['operation_type', 'operation_name', 'outcome'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'graphql_request_duration_seconds',
      help: 'Time from receiving a GraphQL request to sending its response.',
      labelNames: ['operation_type', 'operation_name'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
    errors: new Counter({ name: 'graphql_errors_total', help: 'Errors returned, by code.', labelNames: ['code'], registers: [registry] }),
  };
}
