/**
 * Creates per client (docs/api.md#errors, #configuration): the Workers Rate
 * Limiting binding `CREATE_RATE` (wrangler.jsonc `ratelimits`, default 60 per
 * 60 s), keyed by the client's name, so one client's burst never slows
 * another. Past the limit a create answers `429 rate_limited` with
 * Retry-After, before anything is reserved, stored or sent.
 */
import { ApiError } from "../lib/errors.ts";

/**
 * The binding's `period` in wrangler.jsonc. The binding does not tell its
 * period, so Retry-After is computed from this one; a node test keeps the two
 * equal (Cloudflare allows 10 or 60).
 */
export const CREATE_RATE_PERIOD_SECONDS = 60;

/**
 * Whole seconds from `nowMs` to the end of its window, 1 to `periodSeconds`.
 * The local implementation (wrangler dev, vitest) counts in fixed windows
 * aligned to the clock; Cloudflare's own windows may start elsewhere, so the
 * answer is an estimate there, never longer than one period.
 */
export function secondsUntilWindowEnds(nowMs: number, periodSeconds = CREATE_RATE_PERIOD_SECONDS): number {
  const periodMs = periodSeconds * 1000;
  const leftMs = periodMs - (nowMs % periodMs);
  return Math.min(periodSeconds, Math.max(1, Math.ceil(leftMs / 1000)));
}

/** What the relay uses of a Rate Limiting binding (written out, so Node tests can import this module). */
export interface CreateRateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/** Counts one create for the client: 429 `rate_limited` with Retry-After once the window's limit is used up. */
export async function countCreate(limiter: CreateRateLimiter, clientId: string): Promise<void> {
  const { success } = await limiter.limit({ key: clientId });
  if (success) return;
  const retryAfter = secondsUntilWindowEnds(Date.now());
  throw new ApiError(
    429,
    "rate_limited",
    `Too many creates for this key in this ${CREATE_RATE_PERIOD_SECONDS} s window (the CREATE_RATE rate limit); try again in ${retryAfter} s`,
    undefined,
    { "Retry-After": String(retryAfter) },
  );
}
