// Interop: what the relay signs, the reference `standardwebhooks` library
// (what receivers actually run) must verify, byte for byte.
import { describe, it, expect } from "vitest";
import { Webhook } from "standardwebhooks";
import {
  WEBHOOK_SECRET_PREFIX,
  generateWebhookSecret,
  importWebhookSecret,
  signWebhook,
} from "../../src/webhook/sign.ts";

// The example secret from the Standard Webhooks specification (24 bytes).
const SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const MSG_ID = "msg_2Lg1Yp7fXzQ0a9";
const BODY = JSON.stringify({
  type: "generation.completed",
  timestamp: "2025-01-01T00:00:00.000Z",
  data: { id: "gen_1", status: "completed", prompt: "a café at dusk, ünïcödé ✓" },
});

// The library refuses timestamps more than five minutes from its clock, so
// verification tests sign with the current time.
function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

async function signedHeaders(secret: string, msgId: string, timestamp: number, body: string) {
  const key = await importWebhookSecret(secret);
  return {
    "webhook-id": msgId,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": await signWebhook(key, msgId, timestamp, body),
  };
}

describe("signWebhook", () => {
  it("matches the Standard Webhooks specification's published example", async () => {
    // Test vector from the specification / reference library test suite.
    const key = await importWebhookSecret(SPEC_SECRET);
    const signature = await signWebhook(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}');
    expect(signature).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("is byte-identical to the reference library's sign()", async () => {
    const timestamp = 1_735_689_600;
    const key = await importWebhookSecret(SPEC_SECRET);
    const ours = await signWebhook(key, MSG_ID, timestamp, BODY);
    const theirs = new Webhook(SPEC_SECRET).sign(MSG_ID, new Date(timestamp * 1000), BODY);
    expect(ours).toBe(theirs);
  });

  it("produces signatures the reference library verifies", async () => {
    const headers = await signedHeaders(SPEC_SECRET, MSG_ID, nowSeconds(), BODY);
    expect(new Webhook(SPEC_SECRET).verify(BODY, headers)).toEqual(JSON.parse(BODY));
  });

  it("verifies with a freshly generated secret", async () => {
    const secret = generateWebhookSecret();
    const headers = await signedHeaders(secret, MSG_ID, nowSeconds(), BODY);
    expect(new Webhook(secret).verify(BODY, headers)).toEqual(JSON.parse(BODY));
  });

  it("accepts the secret without its whsec_ prefix", async () => {
    const bare = SPEC_SECRET.slice(WEBHOOK_SECRET_PREFIX.length);
    const headers = await signedHeaders(bare, MSG_ID, nowSeconds(), BODY);
    expect(() => new Webhook(SPEC_SECRET).verify(BODY, headers)).not.toThrow();
  });

  it("fails verification when the body is altered", async () => {
    const headers = await signedHeaders(SPEC_SECRET, MSG_ID, nowSeconds(), BODY);
    const tampered = BODY.replace('"completed"', '"failed"');
    expect(tampered).not.toBe(BODY);
    expect(() => new Webhook(SPEC_SECRET).verify(tampered, headers)).toThrow(/No matching signature/);
  });

  it("fails verification when the message id is altered", async () => {
    const headers = await signedHeaders(SPEC_SECRET, MSG_ID, nowSeconds(), BODY);
    const tampered = { ...headers, "webhook-id": `${MSG_ID}x` };
    expect(() => new Webhook(SPEC_SECRET).verify(BODY, tampered)).toThrow(/No matching signature/);
  });

  it("fails verification when the timestamp is altered", async () => {
    const timestamp = nowSeconds();
    const headers = await signedHeaders(SPEC_SECRET, MSG_ID, timestamp, BODY);
    const tampered = { ...headers, "webhook-timestamp": String(timestamp - 1) };
    expect(() => new Webhook(SPEC_SECRET).verify(BODY, tampered)).toThrow(/No matching signature/);
  });

  it("fails verification under a different secret", async () => {
    const headers = await signedHeaders(generateWebhookSecret(), MSG_ID, nowSeconds(), BODY);
    expect(() => new Webhook(SPEC_SECRET).verify(BODY, headers)).toThrow(/No matching signature/);
  });

  it("refuses a timestamp that is not a whole number of seconds", async () => {
    const key = await importWebhookSecret(SPEC_SECRET);
    await expect(signWebhook(key, MSG_ID, 1_735_689_600.5, BODY)).rejects.toThrow(/whole number/);
    await expect(signWebhook(key, MSG_ID, -1, BODY)).rejects.toThrow(/whole number/);
  });
});

describe("generateWebhookSecret", () => {
  it("returns whsec_ followed by base64 of 32 random bytes", () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(atob(secret.slice(WEBHOOK_SECRET_PREFIX.length))).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
  });
});

describe("importWebhookSecret", () => {
  it.each([
    ["an empty string", "", /empty/],
    ["the prefix alone", "whsec_", /empty/],
    ["text that is not base64", "whsec_not base64 at all!", /base64/],
    ["URL-safe base64, which verifiers refuse", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw-_-_", /base64/],
    ["base64 missing its padding", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwAA", /base64/],
    ["a key shorter than 24 bytes", `whsec_${btoa("sixteen byte key")}`, /too short/],
  ])("refuses %s", async (_name, secret, reason) => {
    await expect(importWebhookSecret(secret)).rejects.toThrow(reason);
  });

  it("never echoes the secret in its error message", async () => {
    const secret = "whsec_sup3r-s3cret-value";
    await expect(importWebhookSecret(secret)).rejects.toThrow(
      expect.objectContaining({ message: expect.not.stringContaining("sup3r") }),
    );
  });

  it("ignores whitespace around the secret (a trailing newline from a shell)", async () => {
    const key = await importWebhookSecret(`${SPEC_SECRET}\n`);
    const theirs = new Webhook(SPEC_SECRET).sign(MSG_ID, new Date(1_735_689_600_000), BODY);
    expect(await signWebhook(key, MSG_ID, 1_735_689_600, BODY)).toBe(theirs);
  });
});
