// Per-client webhook secrets (src/webhook/client-secret.ts, contract §5): a
// webhook signed for one client verifies, with the reference `standardwebhooks`
// library, under that client's secret only.
import { hkdfSync } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { clientWebhookSecret } from "../../src/webhook/client-secret.ts";
import { importWebhookSecret, signWebhook } from "../../src/webhook/sign.ts";
import { TEST_WEBHOOK_SECRET } from "../support/constants.ts";

const MSG_ID = "msg_client_secret_test";
const BODY = JSON.stringify({ type: "generation.completed", timestamp: "2026-01-01T00:00:00.000Z", data: {} });

async function signedFor(secret: string) {
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    "webhook-id": MSG_ID,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": await signWebhook(await importWebhookSecret(secret), MSG_ID, timestamp, BODY),
  };
}

describe("clientWebhookSecret", () => {
  it("signs webhooks that verify with the client's own secret, and fail with another client's or the master", async () => {
    const alice = await clientWebhookSecret(TEST_WEBHOOK_SECRET, "alice");
    const bob = await clientWebhookSecret(TEST_WEBHOOK_SECRET, "bob");
    const headers = await signedFor(alice);

    expect(new Webhook(alice).verify(BODY, headers)).toEqual(JSON.parse(BODY));
    expect(() => new Webhook(bob).verify(BODY, headers)).toThrow(/signature/i);
    expect(() => new Webhook(TEST_WEBHOOK_SECRET).verify(BODY, headers)).toThrow(/signature/i);
  });

  it("is deterministic: the same master and client give the same secret on every call", async () => {
    const first = await clientWebhookSecret(TEST_WEBHOOK_SECRET, "alice");
    expect(await clientWebhookSecret(TEST_WEBHOOK_SECRET, "alice")).toBe(first);
    // Surrounding whitespace in the master is dropped the way importWebhookSecret drops it.
    expect(await clientWebhookSecret(` ${TEST_WEBHOOK_SECRET}\n`, "alice")).toBe(first);
  });

  it("never changes between versions (a receiver configured with it must keep verifying)", async () => {
    // Pinned (computed apart, with Python's hmac): HKDF-SHA256(master key bytes, empty salt,
    // info "wan-relay/client-webhook-secret/v1\0alice").
    expect(await clientWebhookSecret(TEST_WEBHOOK_SECRET, "alice")).toBe(
      "whsec_LaMDFKLLCqaZUoE9QMjDl0BK/0bBWrWhVadVwI6QxPM=",
    );
  });

  it("is HKDF-SHA256 of the master key with a label and the client name, as Node's own HKDF computes it", async () => {
    const master = Buffer.from(TEST_WEBHOOK_SECRET.slice("whsec_".length), "base64");
    const expected = Buffer.from(
      hkdfSync("sha256", master, Buffer.alloc(0), "wan-relay/client-webhook-secret/v1\0bob", 32),
    ).toString("base64");
    expect(await clientWebhookSecret(TEST_WEBHOOK_SECRET, "bob")).toBe(`whsec_${expected}`);
  });

  it("gives different clients, different masters and names differing only in case different secrets", async () => {
    const otherMaster = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
    const secrets = await Promise.all([
      clientWebhookSecret(TEST_WEBHOOK_SECRET, "alice"),
      clientWebhookSecret(TEST_WEBHOOK_SECRET, "Alice"),
      clientWebhookSecret(TEST_WEBHOOK_SECRET, "bob"),
      clientWebhookSecret(TEST_WEBHOOK_SECRET, ""),
      clientWebhookSecret(otherMaster, "alice"),
    ]);
    expect(new Set([...secrets, TEST_WEBHOOK_SECRET]).size).toBe(secrets.length + 1);
  });

  it("is a whsec_ secret of 32 bytes that the reference library accepts", async () => {
    const secret = await clientWebhookSecret(TEST_WEBHOOK_SECRET, "alice");
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice("whsec_".length), "base64")).toHaveLength(32);
    expect(() => new Webhook(secret)).not.toThrow();
  });

  it.each([
    ["empty", ""],
    ["not base64", "whsec_not*base64*at*all"],
    ["too short", `whsec_${Buffer.alloc(16, 1).toString("base64")}`],
    ["URL-safe base64", `whsec_${Buffer.alloc(32, 0xfb).toString("base64url")}`],
  ])("refuses a master secret that is %s, without repeating it", async (_name, master) => {
    const error = await clientWebhookSecret(master, "alice").then(
      () => null,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(Error);
    const message = error instanceof Error ? error.message : "";
    expect(message).toMatch(/webhook secret/);
    if (master.length > "whsec_".length) expect(message).not.toContain(master.slice("whsec_".length));
  });
});
