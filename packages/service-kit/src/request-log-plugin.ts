import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { Logger } from 'pino';

/**
 * Logs one structured line per GraphQL request: operation name and type, duration,
 * outcome and the error codes returned. `extraFields` lets a service add what it knows
 * (the gateway adds the estimated cost, for example).
 */
export function createRequestLogPlugin<C extends BaseContext>(
  logger: Logger,
  extraFields: (context: C) => Record<string, unknown> = () => ({}),
): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ operationName, operation, errors, response, contextValue }) {
          const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
          const codes = [...new Set((errors ?? []).map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR')))];
          logger.info(
            {
              operationName: operationName ?? null,
              operationType: operation?.operation ?? null,
              durationMs: Math.round(durationMs * 100) / 100,
              outcome: codes.length === 0 ? 'ok' : 'error',
              errorCodes: codes.length ? codes : undefined,
              status: response.http.status ?? 200,
              ...extraFields(contextValue),
            },
            'graphql request',
          );
        },
      };
    },
  };
}
