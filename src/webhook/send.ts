/**
 * One webhook delivery attempt over HTTP: signed per Standard Webhooks with
 * the owning client's own secret (client-secret.ts) and a fresh timestamp,
 * bounded by WEBHOOK_TIMEOUT_SECONDS, redirects not followed (a 3xx is a
 * failed attempt). Every outcome is a value: a secret that cannot sign counts
 * as a failed attempt, so the series still ends (visibly failed) instead of
 * retrying forever.
 */
import { errorMessage } from "../lib/errors.ts";
import { retryAfter } from "../lib/retry-after.ts";
import { clientWebhookSecret } from "./client-secret.ts";
import type { AttemptResult } from "./delivery.ts";
import { importWebhookSecret, signWebhook } from "./sign.ts";

export const USER_AGENT = "wan-relay-webhooks/1";

export interface WebhookAttempt {
  url: string;
  /** `webhook-id`. */
  msgId: string;
  /** The exact body, the same on every attempt of a series. */
  body: string;
  /** Whose secret signs it. */
  clientId: string;
}

/** Sends one attempt, signed with the client's secret derived from `masterSecret` (WEBHOOK_SECRET). */
export async function sendWebhookAttempt(
  attempt: WebhookAttempt,
  options: { masterSecret: string | null; timeoutMs: number },
): Promise<AttemptResult> {
  let key: CryptoKey;
  try {
    if (options.masterSecret === null) throw new Error("WEBHOOK_SECRET is not set");
    key = await importWebhookSecret(await clientWebhookSecret(options.masterSecret, attempt.clientId));
  } catch (error) {
    return { kind: "error", reason: errorMessage(error) };
  }
  return sendWebhook(attempt.url, attempt, key, options.timeoutMs);
}

export async function sendWebhook(
  url: string,
  message: { msgId: string; body: string },
  key: CryptoKey,
  timeoutMs: number,
): Promise<AttemptResult> {
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = await signWebhook(key, message.msgId, timestamp, message.body);
  try {
    const response = await fetch(url, {
      method: "POST",
      redirect: "manual",
      headers: {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message.msgId,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signature,
      },
      body: message.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    // The receiver's answer body is not ours to keep; release the connection.
    await response.body?.cancel().catch(() => undefined);
    return { kind: "response", status: response.status, retryAfterMs: retryAfter(response).retryAfterMs ?? null };
  } catch (error) {
    const reason =
      error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")
        ? `no answer within ${timeoutMs} ms`
        : `network error: ${error instanceof Error ? error.message : String(error)}`;
    return { kind: "error", reason };
  }
}
