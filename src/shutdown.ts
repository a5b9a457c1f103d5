/**
 * How a process of this service ends on SIGTERM or SIGINT: `close` runs once (the application stops taking
 * requests, finishes those in flight, stops its projections, flushes the group commit and closes its
 * subscriptions and stores), then the process exits 0. If `close` fails, or takes longer than the bound, it
 * exits 1 anyway; a second signal exits at once.
 */
export function exitOnSignals(close: () => Promise<void>, timeoutSeconds: number, log: (line: string) => void = (line) => console.error(line)): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) {
      log(`${signal} again: exiting now`);
      process.exit(1);
    }
    closing = true;
    log(`${signal}: shutting down (at most ${timeoutSeconds} s)`);
    const deadline = setTimeout(() => {
      log(`Shutdown took longer than ${timeoutSeconds} s: exiting now`);
      process.exit(1);
    }, timeoutSeconds * 1000);
    close().then(() => {
      clearTimeout(deadline);
      process.exit(0);
    }, (error: unknown) => {
      log(`Shutdown failed: ${error instanceof Error ? error.name : 'non-error thrown'}`);
      process.exit(1);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
