import type { INestApplicationContext, LoggerService } from '@nestjs/common';

/**
 * Graceful stop: on SIGTERM/SIGINT close the app (its shutdown hooks drain and close the store)
 * and exit 0, so supervisors see a clean stop; a second signal or a hung close exits 1.
 * Used instead of Nest's enableShutdownHooks, which re-raises the signal after closing.
 * Returns the stop, for a process that has other reasons to stop (a cluster worker whose
 * primary is gone).
 */
export function closeOnSignals(
  app: INestApplicationContext,
  logger: LoggerService,
  deadlineMs = 30_000,
  signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
): (reason: string) => void {
  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) {
      logger.warn?.({ message: 'second signal: exiting now', reason });
      process.exit(1);
    }
    stopping = true;
    logger.log({ message: 'shutting down', reason });
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
  for (const signal of signals) process.on(signal, stop);
  return stop;
}
