/** Retry-After as seconds or an HTTP date. */
export function retryAfter(response: Response): { retryAfterMs?: number } {
  const raw = response.headers.get("Retry-After");
  if (raw === null) return {};
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return { retryAfterMs: Math.round(seconds * 1000) };
  const date = Date.parse(raw);
  return Number.isNaN(date) ? {} : { retryAfterMs: Math.max(0, date - Date.now()) };
}
