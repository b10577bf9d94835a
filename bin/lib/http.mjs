/** Requests to the relay's API, and its error answers turned into CliErrors. */
import { CliError } from "./errors.mjs";

/** Per API request: the relay answers from Durable Object state, never waiting on the upstream. */
export const REQUEST_TIMEOUT_MS = 30_000;

export const idPath = (id) => `/v1/generations/${encodeURIComponent(id)}`;

/** A model id keeps its `/` in the path (`/v1/models/google/veo-3.1-t2v`); each segment is encoded. */
export const modelPath = (id) => `/v1/models/${id.split("/").map(encodeURIComponent).join("/")}`;

/** Formats a non-2xx answer: `error 400 invalid_request: <message>` plus any per-field details. */
export async function apiError(response) {
  const text = await response.text().catch(() => "");
  let parsed = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (a proxy's HTML page, say): show the start of it below.
  }
  const error = parsed !== null && typeof parsed === "object" ? parsed.error : undefined;
  if (error !== null && typeof error === "object" && typeof error.message === "string") {
    let message = `error ${response.status} ${error.code ?? "error"}: ${error.message}`;
    // The API's message repeats its first detail; name the other offending fields too, so one run shows them all.
    if (Array.isArray(error.details)) {
      for (const detail of error.details) {
        const text = typeof detail?.message === "string" ? detail.message : JSON.stringify(detail);
        if (text !== error.message) message += `\n  also: ${text}`;
      }
    }
    return new CliError(message);
  }
  const snippet = text.trim().replace(/\s+/g, " ").slice(0, 200);
  return new CliError(`error ${response.status} ${response.statusText}${snippet === "" ? "" : `: ${snippet}`}`);
}

/** A response whose status says a retry may succeed (used only while waiting; creation is never retried). */
export function isTransient(status) {
  return status === 429 || status >= 500;
}

export async function send(conn, method, path, { body, headers = {}, timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
  const init = {
    method,
    headers: { Authorization: `Bearer ${conn.key}`, Accept: "application/json", ...headers },
    signal: AbortSignal.timeout(timeoutMs),
  };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  try {
    return await fetch(conn.base + path, init);
  } catch (error) {
    throw networkError(conn, error);
  }
}

export function networkError(conn, error) {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return new CliError(`error: ${conn.base} did not answer within ${REQUEST_TIMEOUT_MS / 1000}s`);
  }
  // undici puts the useful part (ECONNREFUSED, ENOTFOUND…) in `cause`.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const detail = cause instanceof Error ? (cause.code ?? cause.message) : String(cause);
  return new CliError(`error: cannot reach ${conn.base}: ${detail}`);
}

export async function requestJson(conn, method, path, options) {
  const response = await send(conn, method, path, options);
  if (!response.ok) throw await apiError(response);
  return response.json();
}
