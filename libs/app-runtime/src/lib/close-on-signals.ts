import type { INestApplicationContext, LoggerService } from '@nestjs/common';

/**
 * Graceful stop: on SIGTERM/SIGINT close the app (its shutdown hooks drain and close the store)
 * and exit 0, so supervisors see a clean stop; a second signal or a hung close exits 1.
 * Used instead of Nest's enableShutdownHooks, which re-raises the signal after closing.
 */
export function closeOnSignals(
  app: INestApplicationContext,
  logger: LoggerService,
  deadlineMs = 30_000,
): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn?.({ message: 'second signal: exiting now', signal });
      process.exit(1);
    }
    stopping = true;
    logger.log({ message: 'shutting down', signal });
    setTimeout(() => {
      logger.error({ message: 'shutdown deadline passed: exiting', deadlineMs });
      process.exit(1);
    }, deadlineMs).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ message: 'shutdown failed', error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
