/**
 * `POST /v1/webhooks/test` (docs/api.md#testing-a-receiver): one signed
 * `webhook.test` event to a real local receiver (test/support/webhook-receiver.ts,
 * which verifies with `standardwebhooks` under each test client's secret),
 * under the webhook URL policy, once, answered with that attempt's outcome.
 * Test bindings: WEBHOOK_ALLOW_PRIVATE=true, WEBHOOK_TIMEOUT_SECONDS=2.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { app } from "../../src/app.ts";
import { verifyWebhook } from "../../src/client/webhooks.ts";
import { clientWebhookSecret } from "../../src/webhook/client-secret.ts";
import { TEST_CLIENT_KEYS, TEST_WEBHOOK_SECRET } from "../support/constants.ts";
import { call, expectNativeError, ORIGIN, postJson, type Client } from "./helpers.ts";

interface Delivery {
  path: string;
  headers: Record<string, string>;
  body: string;
  answeredStatus: number | null;
  verified?: boolean;
  verifiedWith?: string[];
}

interface TestResult {
  status: number | null;
  duration_ms: number;
  error?: string;
}

function hookUrl(script = "200"): { url: string; path: string } {
  const path = `/hook/${crypto.randomUUID()}/${script}`;
  return { url: `${inject("receiverUrl")}${path}`, path };
}

async function deliveries(path: string): Promise<Delivery[]> {
  const response = await fetch(`${inject("receiverUrl")}/__deliveries?path=${encodeURIComponent(path)}`);
  return response.json<Delivery[]>();
}

async function sendTest(url: string, as: Client = "alice"): Promise<TestResult> {
  const response = await postJson("/v1/webhooks/test", { url }, { as });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json<TestResult>();
}

async function callWith(bindings: Partial<Env>, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(`${ORIGIN}${path}`, init), { ...env, ...bindings }, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const generationCount = async (): Promise<number> =>
  (await (await call("/v1/generations?limit=100")).json<{ data: unknown[] }>()).data.length;

describe("POST /v1/webhooks/test", () => {
  it("sends one webhook.test event signed with the caller's own secret, and answers its status and duration", async () => {
    const before = await generationCount();
    const { url, path } = hookUrl("204");
    const result = await sendTest(url);
    expect(result).toEqual({ status: 204, duration_ms: expect.any(Number) });
    expect(result.duration_ms).toBeGreaterThanOrEqual(0);

    const [delivery, ...more] = await deliveries(path);
    expect(more).toEqual([]);
    if (delivery === undefined) throw new Error("nothing reached the receiver");
    // standardwebhooks, in the receiver: alice's secret only, not bob's nor the master secret.
    expect(delivery.verifiedWith).toEqual(["alice"]);
    // The typed client's verifier agrees.
    const secret = await clientWebhookSecret(TEST_WEBHOOK_SECRET, "alice");
    const event = await verifyWebhook(delivery.body, delivery.headers, secret);
    expect(event).toEqual({
      type: "webhook.test",
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: { url, message: expect.any(String) },
    });
    expect(delivery.headers["webhook-id"]).toMatch(/^msg_test_[0-9a-f]{32}$/);
    expect(delivery.headers["content-type"]).toBe("application/json");
    expect(await generationCount()).toBe(before);
  });

  it("signs with the secret of whichever key calls", async () => {
    const { url, path } = hookUrl();
    await sendTest(url, "bob");
    const [delivery] = await deliveries(path);
    expect(delivery?.verifiedWith).toEqual(["bob"]);
  });

  it("sends once and reports a failing answer as the error a webhook would meet", async () => {
    const cases: [script: string, status: number, error: RegExp][] = [
      ["500", 500, /answered 500: a webhook would be retried/],
      ["302", 302, /answered 302: redirects are not followed/],
      ["410", 410, /answered 410: a webhook's delivery would stop/],
    ];
    for (const [script, status, error] of cases) {
      const { url, path } = hookUrl(script);
      const result = await sendTest(url);
      expect(result, script).toEqual({ status, duration_ms: expect.any(Number), error: expect.stringMatching(error) });
      expect((await deliveries(path)).length, script).toBe(1);
    }
  });

  it("answers status null and why when the receiver gives no answer in WEBHOOK_TIMEOUT_SECONDS", async () => {
    const { url } = hookUrl("hang");
    const result = await sendTest(url);
    expect(result).toEqual({ status: null, duration_ms: expect.any(Number), error: "no answer within 2000 ms" });
    expect(result.duration_ms).toBeGreaterThanOrEqual(1900);
  });

  it("answers status null and why when nothing listens", async () => {
    const result = await sendTest("http://127.0.0.1:9/hook");
    expect(result.status).toBeNull();
    expect(result.error).toMatch(/^network error: /);
  });

  it("refuses a private URL without WEBHOOK_ALLOW_PRIVATE, naming url, and sends nothing", async () => {
    const { url, path } = hookUrl();
    const response = await callWith({ WEBHOOK_ALLOW_PRIVATE: "false" }, "/v1/webhooks/test", {
      method: "POST",
      headers: { Authorization: `Bearer ${TEST_CLIENT_KEYS.alice}`, "Content-Type": "application/json" },
      body: JSON.stringify({ url }),
    });
    const body = await response.json<{ error: { code: string; message: string; details: { field: string }[] } }>();
    expect(response.status).toBe(400);
    expect(body.error.code).toBe("invalid_webhook_url");
    expect(body.error.message).toBe("url must use https");
    expect(body.error.details.map((detail) => detail.field)).toEqual(["url"]);

    const loopback = await callWith({ WEBHOOK_ALLOW_PRIVATE: "false" }, "/v1/webhooks/test", {
      method: "POST",
      headers: { Authorization: `Bearer ${TEST_CLIENT_KEYS.alice}`, "Content-Type": "application/json" },
      body: JSON.stringify({ url: "https://127.0.0.1/hook" }),
    });
    expect(loopback.status).toBe(400);
    expect((await loopback.json<{ error: { message: string } }>()).error.message).toMatch(
      /^url host 127\.0\.0\.1 .*WEBHOOK_ALLOW_PRIVATE=true/,
    );
    expect(await deliveries(path)).toEqual([]);
  });

  it("refuses a cloud metadata address even with WEBHOOK_ALLOW_PRIVATE", async () => {
    await expectNativeError(
      await postJson("/v1/webhooks/test", { url: "http://169.254.169.254/latest/meta-data/" }),
      400,
      "invalid_webhook_url",
    );
  });

  it("answers 400 naming url when it is missing, and naming an unknown field", async () => {
    const missing = await postJson("/v1/webhooks/test", {});
    expect(missing.status).toBe(400);
    expect((await missing.json<{ error: { details: { field: string; rule: string }[] } }>()).error.details).toEqual([
      expect.objectContaining({ field: "url", rule: "required" }),
    ]);
    const extra = await postJson("/v1/webhooks/test", { url: hookUrl().url, generation: "x" });
    expect(extra.status).toBe(400);
    expect((await extra.json<{ error: { details: { field: string; rule: string }[] } }>()).error.details).toEqual([
      expect.objectContaining({ field: "generation", rule: "unknown_field" }),
    ]);
  });

  it("answers 503 without a usable WEBHOOK_SECRET, and 401 without a key", async () => {
    const noSecret = await callWith({ WEBHOOK_SECRET: "" }, "/v1/webhooks/test", {
      method: "POST",
      headers: { Authorization: `Bearer ${TEST_CLIENT_KEYS.alice}`, "Content-Type": "application/json" },
      body: JSON.stringify({ url: hookUrl().url }),
    });
    expect(noSecret.status).toBe(503);
    expect((await noSecret.json<{ error: { message: string } }>()).error.message).toContain("WEBHOOK_SECRET");
    expect((await postJson("/v1/webhooks/test", { url: hookUrl().url }, { as: null })).status).toBe(401);
  });
});
