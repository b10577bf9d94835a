/** The one error the client throws, for API answers and for the failures that have none. */
import type { ErrorBody, ErrorDetail } from "./types.ts";

/**
 * The client's own codes, for failures with no API answer behind them (the
 * API's codes come with its answers: `not_found`, `invalid_request`, …).
 */
export const CLIENT_ERROR_CODES = {
  /** The relay could not be reached (refused, reset, DNS). */
  network: "network_error",
  /** The relay did not answer in time. */
  timeout: "timeout",
  /** An answer that is not the API's JSON (a proxy's HTML page, say). */
  unexpectedResponse: "unexpected_response",
  /** Downloaded bytes that do not hash to the Generation's `video.sha256`. */
  checksumMismatch: "checksum_mismatch",
  /** A generation without a stored video was asked for its video. */
  noVideo: "no_video",
  /** A webhook that does not verify: missing headers, stale timestamp, wrong signature, not JSON. */
  invalidWebhook: "invalid_webhook",
  /** The client was set up without a URL or key. */
  configuration: "configuration",
} as const;

export interface WanRelayErrorOptions {
  code: string;
  /** The HTTP status of the API's answer; null when there was none. */
  status?: number | null;
  details?: readonly ErrorDetail[];
  retryAfterSeconds?: number | null;
  cause?: unknown;
}

export class WanRelayError extends Error {
  override readonly name = "WanRelayError";
  /** The API's error code, or one of `CLIENT_ERROR_CODES`. */
  readonly code: string;
  /** The HTTP status of the API's answer; null for failures with no answer (network, checksum, webhook). */
  readonly status: number | null;
  /** The API's per-field details (`{field, rule, message}`), empty when it sent none. */
  readonly details: readonly ErrorDetail[];
  /** The answer's `Retry-After`, in seconds, when it had one. */
  readonly retryAfterSeconds: number | null;

  constructor(message: string, options: WanRelayErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.status = options.status ?? null;
    this.details = options.details ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds ?? null;
  }

  /** Whether the same request may succeed later: no answer at all, a 429 or a 5xx. */
  get transient(): boolean {
    if (this.status === null)
      return this.code === CLIENT_ERROR_CODES.network || this.code === CLIENT_ERROR_CODES.timeout;
    return this.status === 429 || this.status >= 500;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;

/** The API's `{error: {code, message, details?}}`, or null for any other body. */
function errorBody(value: unknown): ErrorBody["error"] | null {
  if (!isObject(value) || !isObject(value["error"])) return null;
  const { code, message, details } = value["error"];
  if (typeof code !== "string" || typeof message !== "string") return null;
  return Array.isArray(details) ? { code, message, details: details as ErrorDetail[] } : { code, message };
}

function retryAfterSeconds(response: Response): number | null {
  const header = response.headers.get("Retry-After");
  if (header === null) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** A non-2xx answer as a WanRelayError (reads the body). */
export async function errorFromResponse(response: Response): Promise<WanRelayError> {
  const text = await response.text().catch(() => "");
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: described below by its first characters.
  }
  const retryAfter = retryAfterSeconds(response);
  const body = errorBody(parsed);
  if (body !== null) {
    return new WanRelayError(body.message, {
      code: body.code,
      status: response.status,
      details: body.details ?? [],
      retryAfterSeconds: retryAfter,
    });
  }
  const snippet = text.trim().replace(/\s+/g, " ").slice(0, 200);
  const reason = response.statusText === "" ? `HTTP ${response.status}` : response.statusText;
  return new WanRelayError(snippet === "" ? reason : `${reason}: ${snippet}`, {
    code: CLIENT_ERROR_CODES.unexpectedResponse,
    status: response.status,
    retryAfterSeconds: retryAfter,
  });
}

/** The useful part of a network error: undici puts it (ECONNRESET, ECONNREFUSED…) in `cause`. */
export function describeCause(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === "string" ? code : cause.message;
  }
  return String(cause);
}
