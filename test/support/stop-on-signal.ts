/**
 * For the test servers run as their own process (the fake upstream, the
 * webhook receiver, the lean dev server): on SIGINT or SIGTERM, `close` runs
 * and the process exits 0, or 1 if closing failed.
 */
export function stopOnSignal(close: () => Promise<unknown>): void {
  const stop = (): void => {
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
