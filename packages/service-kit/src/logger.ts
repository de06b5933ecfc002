import { pino, type Logger } from 'pino';

export type { Logger };

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Service name, added to every line as `service`. */
  service: string;
  /** Minimum level written. @default 'info' */
  level?: string;
  /** Human-readable colour output instead of JSON lines (development only). @default false */
  pretty?: boolean;
}

/** Structured JSON logger (pino); one line per event, readable by any log pipeline. */
export function createLogger({ service, level = 'info', pretty = false }: LoggerOptions): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    transport: pretty
      ? { target: 'pino-pretty', options: { colorize: true, singleLine: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,service' } }
      : undefined,
  });
}
