import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { boundErrors } from './bound-errors.js';

/** Options of {@link createErrorLimitPlugin}. */
export interface ErrorLimitOptions {
  /** Distinct errors one response carries at most (`MAX_RESPONSE_ERRORS`). @default 100 */
  maxErrors?: number;
}

/**
 * Bounds what a response says went wrong: repeated errors once each, at most `maxErrors` of them,
 * and `extensions.errorsOmitted` counting the distinct ones left out. Registered after every
 * plugin that adds errors to the response (authorization), so it sees them all.
 */
export function createErrorLimitPlugin<C extends BaseContext>({ maxErrors = 100 }: ErrorLimitOptions = {}): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single' || (response.body.singleResult.errors?.length ?? 0) < 2) return;
          const result = response.body.singleResult;
          const { errors, omitted } = boundErrors(result.errors!, maxErrors);
          result.errors = errors;
          if (omitted > 0) result.extensions = { ...result.extensions, errorsOmitted: omitted };
        },
      };
    },
  };
}
