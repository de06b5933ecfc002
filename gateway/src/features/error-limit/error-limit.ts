import type { GatewayFeature } from '../../pipeline/index.js';
import { boundErrors } from './bound-errors.js';

/** Distinct errors one response carries unless `MAX_RESPONSE_ERRORS` says otherwise. */
export const DEFAULT_MAX_RESPONSE_ERRORS = 100;

/** Options of {@link createErrorLimit}. */
export interface ErrorLimitOptions {
  /** Distinct errors one response carries at most (`MAX_RESPONSE_ERRORS`). @default 100 */
  maxErrors?: number;
}

/**
 * Bounds what a response says went wrong: repeated errors once each, at most `maxErrors` of them,
 * and `extensions.errorsOmitted` counting the distinct ones left out. Listed after every feature
 * that adds errors to the response (authorization), so it sees them all.
 */
export function createErrorLimit({ maxErrors = DEFAULT_MAX_RESPONSE_ERRORS }: ErrorLimitOptions = {}): GatewayFeature {
  return {
    name: 'error limit',
    shapeEvent: (_context, result) => {
      if ((result.errors?.length ?? 0) < 2) return result;
      const { errors, omitted } = boundErrors(result.errors!, maxErrors);
      return { ...result, errors, ...(omitted > 0 && { extensions: { ...result.extensions, errorsOmitted: omitted } }) };
    },
    plugins: [
      {
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
      },
    ],
  };
}
