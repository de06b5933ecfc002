import { pino, type DestinationStream, type Logger, type LoggerOptions as PinoOptions } from 'pino';
import { currentRequestId } from './request-context.js';

export type { Logger };

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Service name, added to every line as `service`. */
  service: string;
  /** Minimum level written. @default 'info' */
  level?: string;
  /** Human-readable colour output instead of JSON lines (development only). @default false */
  pretty?: boolean;
  /** Where JSON lines go (tests capture them). @default stdout */
  destination?: DestinationStream;
}

/**
 * Structured JSON logger (pino); one line per event, readable by any log pipeline. A line
 * written while a request is served carries its `requestId`, whoever writes it.
 */
export function createLogger({ service, level = 'info', pretty = false, destination }: LoggerOptions): Logger {
  const options: PinoOptions = {
    level,
    base: { service },
    mixin: () => {
      const requestId = currentRequestId();
      return requestId === undefined ? {} : { requestId };
    },
    timestamp: pino.stdTimeFunctions.isoTime,
    transport: pretty
      ? {
          target: 'pino-pretty',
          options: { colorize: true, singleLine: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,service' },
        }
      : undefined,
  };
  return destination ? pino(options, destination) : pino(options);
}
