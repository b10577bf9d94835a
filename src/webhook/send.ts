/**
 * One webhook delivery attempt over HTTP: signed per Standard Webhooks with
 * a fresh timestamp, bounded by WEBHOOK_TIMEOUT_SECONDS, redirects not
 * followed (a 3xx is a failed attempt).
 */
import { retryAfter } from "../lib/retry-after.ts";
import type { AttemptResult } from "./delivery.ts";
import { signWebhook } from "./sign.ts";

export const USER_AGENT = "wan-relay-webhooks/1";

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
