const MAX_BACKOFF_MS = 60_000;

/** Doubling delay from `baseMs` after each consecutive failure, capped. */
export function backoffMs(baseMs: number, failures: number, capMs = MAX_BACKOFF_MS): number {
  const exponent = Math.max(0, Math.min(failures - 1, 16));
  return Math.min(baseMs * 2 ** exponent, Math.max(capMs, baseMs));
}
