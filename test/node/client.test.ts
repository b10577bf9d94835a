/**
 * The typed client (`wan-relay/client`, src/client) against the real relay
 * under `wrangler dev`, which talks to the fake AI/ML API and delivers
 * webhooks to the local receiver started by globalSetup. A recording proxy
 * between the client and the relay shows which routes the client used, and
 * cuts the live stream when a test asks it to.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CLIENT_TYPES_PATH, renderClientTypes } from "../../scripts/client-types.ts";
import { isFinished, verifyWebhook, WanRelay, WanRelayError, type Generation } from "../../src/client/index.ts";
import { TEST_CLIENT_KEYS } from "../support/constants.ts";
import { startCuttingProxy, type CuttingProxy } from "../support/cutting-proxy.ts";
import { expectedVideoBytes } from "../support/fake-aimlapi.ts";
import type { Delivery } from "../support/webhook-receiver.ts";
import { startRelay, testRelayVars, type RelayProcess } from "../support/relay-process.ts";

let relayProcess: RelayProcess;
let proxy: CuttingProxy;
let relay: WanRelay;
let counter = 0;

/** A prompt no other test uses, so the fake upstream's per-prompt state never collides. */
function uniquePrompt(directives = ""): string {
  counter++;
  const base = `a heron over a canal #client${counter}-${Math.random().toString(36).slice(2, 8)}`;
  return directives === "" ? base : `${base} [[fake ${directives}]]`;
}

/** The bytes of a download stream, read to its end (which is where the sha256 check happens). */
async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  return Buffer.from(await new Response(stream).arrayBuffer());
}

/** What the proxy forwarded for one generation, as `METHOD path` without its id's prefix. */
function requestsFor(id: string): string[] {
  const prefix = `/v1/generations/${id}`;
  return proxy
    .requests()
    .filter((request) => request.path.startsWith(prefix))
    .map((request) => `${request.method} ${request.path.slice(prefix.length) || "/"}`);
}

async function deliveriesTo(path: string): Promise<Delivery[]> {
  const response = await fetch(`${inject("receiverUrl")}/__deliveries?path=${encodeURIComponent(path)}`);
  return (await response.json()) as Delivery[];
}

async function eventually<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  relayProcess = await startRelay({ vars: testRelayVars(inject("upstreamUrl")) });
  proxy = await startCuttingProxy(relayProcess.url);
  relay = new WanRelay({ url: proxy.url, key: TEST_CLIENT_KEYS.alice });
});

afterAll(async () => {
  await proxy?.close();
  await relayProcess?.stop();
});

describe("the client's types", () => {
  it("are those of the OpenAPI document the relay serves (npm run client-types regenerates them)", async () => {
    const document = (await (await fetch(`${relayProcess.url}/openapi.json`)).json()) as Record<string, never>;
    const committed = readFileSync(CLIENT_TYPES_PATH, "utf8");
    expect(await renderClientTypes(document), "src/client/openapi.ts is stale: run npm run client-types").toBe(
      committed,
    );
  });
});

describe("WanRelay", () => {
  it("creates, waits over the live stream alone (no polling), and downloads bytes that match their sha256", async () => {
    const size = 200_000;
    const created = await relay.create({ prompt: uniquePrompt(`size=${size}`), resolution: "480p" });
    expect(created.status).toBe("queued");
    expect(created.input).toMatchObject({ resolution: "480p" });

    const updates: Generation[] = [];
    const retries: WanRelayError[] = [];
    const final = await relay.wait(created.id, {
      onUpdate: (generation) => updates.push(generation),
      onRetry: (error) => retries.push(error),
    });
    expect(final.status).toBe("completed");
    expect(isFinished(final)).toBe(true);
    expect(updates.at(0)?.status).toBe("queued");
    expect(updates.at(-1)).toEqual(final);
    expect(updates.slice(0, -1).every((generation) => !isFinished(generation))).toBe(true);
    expect(retries).toEqual([]);
    // One stream, not one read per poll.
    expect(requestsFor(created.id)).toEqual(["GET /stream"]);

    const bytes = await readAll(await relay.download(final));
    expect(bytes.equals(expectedVideoBytes(size))).toBe(true);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(final.video?.sha256);
    // Given an id, it reads the generation for the hash first.
    expect((await readAll(await relay.download(created.id))).equals(bytes)).toBe(true);
  });

  it("falls back to polling when the stream is cut mid-way, and still ends with the completed generation", async () => {
    const size = 120_000;
    // Enough upstream steps (0.2 s apart) that the cut lands while the generation runs.
    const created = await relay.create({
      prompt: uniquePrompt(`size=${size} steps=queued,waiting,active,generating,generating,generating,completed`),
    });
    proxy.cutStreamsOf.add(`/v1/generations/${created.id}/stream`);

    const updates: Generation[] = [];
    const retries: WanRelayError[] = [];
    const final = await relay.wait(created.id, {
      pollIntervalMs: 200,
      onUpdate: (generation) => updates.push(generation),
      onRetry: (error) => retries.push(error),
    });
    expect(final.status).toBe("completed");
    expect(retries).toHaveLength(1);
    expect(retries[0]?.code).toBe("network_error");
    expect(retries[0]?.status).toBeNull();
    // The stream delivered the first state before the cut; the polls took it from there.
    expect(isFinished(updates[0] as Generation)).toBe(false);
    const requests = requestsFor(created.id);
    expect(requests[0]).toBe("GET /stream");
    expect(requests.slice(1).length).toBeGreaterThan(0);
    expect(requests.slice(1).every((request) => request === "GET /")).toBe(true);

    const bytes = await readAll(await relay.download(final));
    expect(bytes.equals(expectedVideoBytes(size))).toBe(true);
  });

  it("ends a download with checksum_mismatch when the bytes do not hash to the expected sha256", async () => {
    const created = await relay.create({ prompt: uniquePrompt("size=50000") });
    const final = await relay.wait(created);
    if (final.video === null) throw new Error("no video");
    const wrong = { ...final, video: { ...final.video, sha256: "0".repeat(64) } };
    const error = await readAll(await relay.download(wrong)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WanRelayError);
    expect(error).toMatchObject({ code: "checksum_mismatch", status: null });
  });

  it("returns a generation that has already ended without opening the stream", async () => {
    const created = await relay.create({ prompt: uniquePrompt("steps=queued,generating") });
    const canceled = await relay.cancel(created.id);
    expect(canceled.status).toBe("canceled");
    const before = requestsFor(created.id).length;
    expect(await relay.wait(canceled)).toEqual(canceled);
    expect(requestsFor(created.id)).toHaveLength(before);
  });

  it("iterates over every page of the list, and of the timeline", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await relay.create({ prompt: uniquePrompt("steps=queued,generating") })).id);

    const first = await relay.list({ limit: 1 });
    expect(first.data).toHaveLength(1);
    expect(first.next_cursor).not.toBeNull();

    const seen: string[] = [];
    for await (const generation of relay.list({ limit: 1 })) {
      seen.push(generation.id);
      if (ids.every((id) => seen.includes(id))) break;
    }
    // Newest first, one per page.
    expect(seen.slice(0, 3)).toEqual([...ids].reverse());

    let pages = 0;
    for await (const page of relay.list({ limit: 2 }).pages()) {
      pages++;
      expect(page.data.length).toBeLessThanOrEqual(2);
      if (pages === 2) break;
    }
    expect(pages).toBe(2);

    for (const id of ids) await relay.cancel(id);
    const timeline = [];
    for await (const event of relay.events(ids[0] ?? "", { limit: 1 })) timeline.push(event);
    expect(timeline.length).toBeGreaterThan(1);
    expect(timeline.map((event) => event.at)).toEqual([...timeline.map((event) => event.at)].sort());
  });

  it("reads the catalogue, the default model from the relay's own document, usage and the webhook secret", async () => {
    const models = await relay.models();
    const defaultModel = await relay.defaultModel();
    expect(models.data.map((model) => model.id)).toContain(defaultModel);
    const model = await relay.model("google/veo-3.1-i2v");
    expect(model).toMatchObject({ id: "google/veo-3.1-i2v", kind: "image-to-video" });
    // A create without a model gets the model the document names as the default.
    expect((await relay.create({ prompt: uniquePrompt("steps=queued,generating") })).model).toBe(defaultModel);

    const usage = await relay.usage();
    expect(usage.since).toBeNull();
    expect(Object.values(usage.by_status).reduce((sum, count) => sum + count, 0)).toBeGreaterThan(0);
    expect(await relay.webhookSecret()).toMatch(/^whsec_/);
  });

  it("purges a generation, after which the relay answers 404 for it", async () => {
    const created = await relay.create({ prompt: uniquePrompt("steps=queued,generating") });
    expect(await relay.purge(created.id)).toEqual({ id: created.id, purged: true });
    await expect(relay.get(created.id)).rejects.toMatchObject({ code: "not_found", status: 404 });
  });
});

describe("WanRelayError", () => {
  it("carries the API's code, status and per-field details", async () => {
    const error = await relay
      .create({ prompt: uniquePrompt(), resolution: "4k", seed: "abc" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WanRelayError);
    const apiError = error as WanRelayError;
    expect(apiError.status).toBe(400);
    expect(apiError.code).toBe("invalid_request");
    expect(apiError.details.map((detail) => detail.field).sort()).toEqual(["resolution", "seed"]);
    expect(apiError.details.every((detail) => detail.rule !== "" && detail.message !== "")).toBe(true);
    expect(apiError.transient).toBe(false);
  });

  it("tells an unknown id (404), a wrong key (401), a finished generation (409) and an unreachable relay apart", async () => {
    await expect(relay.get("gen_doesnotexist")).rejects.toMatchObject({ code: "not_found", status: 404 });
    await expect(relay.wait("gen_doesnotexist")).rejects.toMatchObject({ code: "not_found", status: 404 });
    const stranger = new WanRelay({ url: proxy.url, key: "not-a-key" });
    await expect(stranger.list()).rejects.toMatchObject({ code: "unauthorized", status: 401 });

    const created = await relay.create({ prompt: uniquePrompt("steps=queued,generating") });
    await relay.cancel(created.id);
    await expect(relay.cancel(created.id)).rejects.toMatchObject({ code: "already_terminal", status: 409 });

    // Port 9 (discard) on loopback: nothing listens there in the test environment.
    const nowhere = new WanRelay({ url: "http://127.0.0.1:9", key: "k" });
    const error = await nowhere.models().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "network_error", status: null, transient: true });
    expect((error as Error).message).toMatch(/^cannot reach http:\/\/127\.0\.0\.1:9: /);
  });
});

describe("verifyWebhook", () => {
  it("accepts a real delivery with the client's secret and refuses it tampered, stale or under another secret", async () => {
    const hookPath = `/hook/client-${Date.now()}-${Math.random().toString(36).slice(2, 8)}/200`;
    const created = await relay.create({
      prompt: uniquePrompt(),
      webhook_url: `${inject("receiverUrl")}${hookPath}`,
    });
    const final = await relay.wait(created.id);
    const delivery = await eventually(async () => (await deliveriesTo(hookPath)).at(0), "the completed webhook");
    const secret = await relay.webhookSecret();

    const event = await verifyWebhook(delivery.body, delivery.headers, secret);
    // The event types are the document's webhooks: `type` tells them apart.
    if (event.type !== "generation.completed") throw new Error(`a ${event.type} event`);
    expect(event.data.id).toBe(final.id);
    expect(event.data.video?.sha256).toBe(final.video?.sha256);
    // The same from a fetch Headers object and from raw bytes.
    const bytes = new TextEncoder().encode(delivery.body);
    expect(await verifyWebhook(bytes, new Headers(delivery.headers), secret)).toEqual(event);

    const tampered = delivery.body.replace('"type":"generation.completed"', '"type":"generation.failed"');
    expect(tampered).not.toBe(delivery.body);
    await expect(verifyWebhook(tampered, delivery.headers, secret)).rejects.toMatchObject({
      code: "invalid_webhook",
      message: "no webhook-signature matches the body",
    });
    const bob = await new WanRelay({ url: proxy.url, key: TEST_CLIENT_KEYS.bob }).webhookSecret();
    await expect(verifyWebhook(delivery.body, delivery.headers, bob)).rejects.toMatchObject({
      code: "invalid_webhook",
    });
    const sentAt = Number(delivery.headers["webhook-timestamp"]) * 1000;
    await expect(
      verifyWebhook(delivery.body, delivery.headers, secret, { now: new Date(sentAt + 10 * 60_000) }),
    ).rejects.toMatchObject({ code: "invalid_webhook", message: expect.stringMatching(/webhook-timestamp/) });
  });

  it("accepts the webhook.test event of testWebhook, typed as that event, and the relay reports the attempt", async () => {
    const hookPath = `/hook/client-test-${Date.now()}-${Math.random().toString(36).slice(2, 8)}/202`;
    const url = `${inject("receiverUrl")}${hookPath}`;
    const result = await relay.testWebhook(url);
    expect(result).toEqual({ status: 202, duration_ms: expect.any(Number) });
    const [delivery, ...more] = await deliveriesTo(hookPath);
    expect(more).toEqual([]);
    if (delivery === undefined) throw new Error("the test event did not arrive");
    const event = await verifyWebhook(delivery.body, delivery.headers, await relay.webhookSecret());
    if (event.type !== "webhook.test") throw new Error(`a ${event.type} event`);
    expect(event.data.url).toBe(url);
    const bob = await new WanRelay({ url: proxy.url, key: TEST_CLIENT_KEYS.bob }).webhookSecret();
    await expect(verifyWebhook(delivery.body, delivery.headers, bob)).rejects.toMatchObject({
      code: "invalid_webhook",
    });
  });
});
