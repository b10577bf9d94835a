// The client's verifyWebhook (src/client/webhooks.ts) against the Standard
// Webhooks specification's published vector and the reference
// `standardwebhooks` library's signatures: what any conforming sender signs,
// it accepts; anything else it refuses with code `invalid_webhook`.
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { verifyWebhook, WanRelayError, WEBHOOK_TOLERANCE_IN_SECONDS } from "../../src/client/index.ts";

// The example secret and message from the Standard Webhooks specification.
const SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const SPEC_TIMESTAMP = 1614265330;
const SPEC_BODY = '{"test": 2432232314}';
const SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
const SPEC_HEADERS = {
  "webhook-id": SPEC_ID,
  "webhook-timestamp": String(SPEC_TIMESTAMP),
  "webhook-signature": SPEC_SIGNATURE,
};
const AT_SPEC_TIME = { now: new Date(SPEC_TIMESTAMP * 1000) };

const BODY = JSON.stringify({
  type: "generation.completed",
  timestamp: "2026-01-01T00:00:00.000Z",
  data: { id: "gen_1", status: "completed", prompt: "a café at dusk, ünïcödé ✓" },
});

/** Headers the reference library signs for BODY, at `sentAt`. */
function signedByReference(secret: string, sentAt: Date, body = BODY): Record<string, string> {
  return {
    "webhook-id": "msg_client_test",
    "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign("msg_client_test", sentAt, body),
  };
}

async function refusal(promise: Promise<unknown>): Promise<WanRelayError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(WanRelayError);
  expect(error).toMatchObject({ code: "invalid_webhook", status: null });
  return error as WanRelayError;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("verifyWebhook", () => {
  it("accepts the specification's published example", async () => {
    expect(await verifyWebhook(SPEC_BODY, SPEC_HEADERS, SPEC_SECRET, AT_SPEC_TIME)).toEqual({ test: 2432232314 });
  });

  it("accepts what the reference library signs, from a string, bytes, an ArrayBuffer or Headers, any header case", async () => {
    const now = new Date();
    const headers = signedByReference(SPEC_SECRET, now);
    const expected = JSON.parse(BODY) as unknown;
    expect(await verifyWebhook(BODY, headers, SPEC_SECRET)).toEqual(expected);
    const bytes = new TextEncoder().encode(BODY);
    expect(await verifyWebhook(bytes, headers, SPEC_SECRET)).toEqual(expected);
    expect(await verifyWebhook(bytes.buffer as ArrayBuffer, new Headers(headers), SPEC_SECRET)).toEqual(expected);
    const shouting = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toUpperCase(), value]));
    expect(await verifyWebhook(BODY, shouting, SPEC_SECRET)).toEqual(expected);
  });

  it("accepts a header listing several signatures when one of them matches (key rotation)", async () => {
    const stale = new Webhook(`whsec_${Buffer.alloc(32, 1).toString("base64")}`).sign(
      SPEC_ID,
      new Date(SPEC_TIMESTAMP * 1000),
      SPEC_BODY,
    );
    const headers = { ...SPEC_HEADERS, "webhook-signature": `v2,abc ${stale} ${SPEC_SIGNATURE}` };
    expect(await verifyWebhook(SPEC_BODY, headers, SPEC_SECRET, AT_SPEC_TIME)).toEqual({ test: 2432232314 });
    await refusal(verifyWebhook(SPEC_BODY, { ...headers, "webhook-signature": stale }, SPEC_SECRET, AT_SPEC_TIME));
  });

  it("refuses a body changed by one character, another id, or another secret", async () => {
    await refusal(verifyWebhook('{"test": 2432232315}', SPEC_HEADERS, SPEC_SECRET, AT_SPEC_TIME));
    await refusal(verifyWebhook(SPEC_BODY, { ...SPEC_HEADERS, "webhook-id": "msg_other" }, SPEC_SECRET, AT_SPEC_TIME));
    const other = `whsec_${Buffer.alloc(24, 7).toString("base64")}`;
    const error = await refusal(verifyWebhook(SPEC_BODY, SPEC_HEADERS, other, AT_SPEC_TIME));
    expect(error.message).toBe("no webhook-signature matches the body");
  });

  it(`refuses a timestamp more than ${WEBHOOK_TOLERANCE_IN_SECONDS} s from the receiver's clock, either way`, async () => {
    const sentAt = new Date(SPEC_TIMESTAMP * 1000);
    const at = (offsetSeconds: number) => ({ now: new Date(sentAt.getTime() + offsetSeconds * 1000) });
    for (const offset of [-WEBHOOK_TOLERANCE_IN_SECONDS, WEBHOOK_TOLERANCE_IN_SECONDS]) {
      expect(await verifyWebhook(SPEC_BODY, SPEC_HEADERS, SPEC_SECRET, at(offset))).toEqual({ test: 2432232314 });
    }
    for (const offset of [-WEBHOOK_TOLERANCE_IN_SECONDS - 1, WEBHOOK_TOLERANCE_IN_SECONDS + 1]) {
      const error = await refusal(verifyWebhook(SPEC_BODY, SPEC_HEADERS, SPEC_SECRET, at(offset)));
      expect(error.message).toMatch(/webhook-timestamp is more than 300s from now/);
    }
    await refusal(
      verifyWebhook(SPEC_BODY, { ...SPEC_HEADERS, "webhook-timestamp": "16142653.30" }, SPEC_SECRET, AT_SPEC_TIME),
    );
  });

  it("refuses a delivery missing any of the three headers", async () => {
    for (const name of Object.keys(SPEC_HEADERS)) {
      const headers: Record<string, string> = { ...SPEC_HEADERS };
      delete headers[name];
      const error = await refusal(verifyWebhook(SPEC_BODY, headers, SPEC_SECRET, AT_SPEC_TIME));
      expect(error.message).toMatch(/^missing /);
    }
  });

  it("works without a global crypto (Node 18), through node:crypto's WebCrypto", async () => {
    vi.stubGlobal("crypto", undefined);
    expect((globalThis as { crypto?: unknown }).crypto).toBeUndefined();
    expect(await verifyWebhook(SPEC_BODY, SPEC_HEADERS, SPEC_SECRET, AT_SPEC_TIME)).toEqual({ test: 2432232314 });
    await refusal(verifyWebhook(`${SPEC_BODY} `, SPEC_HEADERS, SPEC_SECRET, AT_SPEC_TIME));
  });
});
