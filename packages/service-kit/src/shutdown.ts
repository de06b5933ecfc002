import closeWithGrace from 'close-with-grace';
import type { Logger } from 'pino';

/**
 * Runs `shutdown` once on SIGTERM or SIGINT (or an uncaught error), then exits: 0 after a
 * clean shutdown; 1 after an error, a second signal, or a shutdown slower than `timeoutMs`,
 * so an orchestrator is never stuck waiting.
 */
export function onShutdownSignal(logger: Logger, shutdown: () => Promise<void>, timeoutMs = 10_000): void {
  closeWithGrace(
    {
      delay: timeoutMs,
      // SIGTERM, SIGINT and SIGHUP stop the service; SIGUSR2 stays free for diagnostics
      // (`--heapsnapshot-signal`), and the fatal signals keep their default.
      skip: ['SIGUSR2', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGSEGV'],
      logger: { error: (error: unknown) => logger.error({ err: error }, 'error during shutdown') },
      onSecondSignal: (signal) => logger.warn({ signal }, 'second signal: exiting now'),
      onTimeout: () => logger.error({ timeoutMs }, 'shutdown timed out: exiting'),
    },
    async ({ signal, err }) => {
      if (err) logger.error({ err }, 'uncaught error: shutting down');
      else logger.info({ signal }, 'shutting down: draining in-flight requests');
      await shutdown();
      logger.info('stopped');
    },
  );
}
