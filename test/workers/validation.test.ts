/**
 * Bad input to `POST /v1/generations` (docs/api.md#native-api, #errors): every refusal has
 * the native error shape, names the offending field, and neither creates a
 * generation nor sends anything upstream.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app.ts";
import type { Generation } from "../../src/api/schemas.ts";
import { TEST_CLIENT_KEYS } from "../support/constants.ts";
import {
  call,
  create,
  expectNativeError,
  ORIGIN,
  postJson,
  uniquePrompt,
  upstreamStats,
  waitForSubmission,
  type Client,
} from "./helpers.ts";

const PATH = "/v1/generations";

/** Builds the body from a prompt unique to the run; a string is sent as is (raw JSON text). */
type BodyFor = (prompt: string) => unknown;

/** A prompt of exactly `length` characters that is still unique to the test. */
function promptOfLength(length: number, base = uniquePrompt()): string {
  return (base + " ").repeat(Math.ceil(length / (base.length + 1))).slice(0, length);
}

/** A metadata object whose JSON serialization is exactly `bytes` bytes. */
function metadataOfBytes(bytes: number): Record<string, string> {
  const overhead = JSON.stringify({ note: "" }).length;
  const metadata = { note: "m".repeat(bytes - overhead) };
  expect(new TextEncoder().encode(JSON.stringify(metadata)).byteLength).toBe(bytes);
  return metadata;
}

function webhookUrlOfLength(length: number): string {
  const prefix = "https://hooks.example.com/";
  return prefix + "a".repeat(length - prefix.length);
}

// [name, body, expected status, field named by message and details (null: none), error code]
const BAD_BODIES: readonly [name: string, body: BodyFor, status: number, field: string | null, code: string][] = [
  // The body as a whole
  ["malformed JSON", (p) => `{"prompt": ${JSON.stringify(p)},`, 400, "(body)", "invalid_json"],
  ["an empty body", () => "", 400, "(body)", "invalid_json"],
  ["a JSON array", (p) => [{ prompt: p }], 400, "(body)", "invalid_request"],
  [
    "a __proto__ key in metadata",
    (p) => `{"prompt": ${JSON.stringify(p)}, "metadata": {"__proto__": {"x": 1}, "a": 1}}`,
    400,
    "__proto__",
    "invalid_request",
  ],
  ["JSON null", () => "null", 400, "(body)", "invalid_request"],
  ["a JSON number", () => "42", 400, "(body)", "invalid_request"],
  ["a JSON string", (p) => JSON.stringify(p), 400, "(body)", "invalid_request"],
  // prompt
  ["a missing prompt", () => ({ resolution: "720p" }), 400, "prompt", "invalid_request"],
  ["an empty prompt", () => ({ prompt: "" }), 400, "prompt", "invalid_request"],
  ["a blank prompt", () => ({ prompt: "  \n\t  " }), 400, "prompt", "invalid_request"],
  ["a prompt of 801 characters", (p) => ({ prompt: promptOfLength(801, p) }), 400, "prompt", "invalid_request"],
  ["a numeric prompt", () => ({ prompt: 42 }), 400, "prompt", "invalid_request"],
  ["a null prompt", () => ({ prompt: null }), 400, "prompt", "invalid_request"],
  ["a prompt given as an array", (p) => ({ prompt: [p] }), 400, "prompt", "invalid_request"],
  // negative_prompt
  [
    "a negative_prompt of 501 characters",
    (p) => ({ prompt: p, negative_prompt: "n".repeat(501) }),
    400,
    "negative_prompt",
    "invalid_request",
  ],
  ["a numeric negative_prompt", (p) => ({ prompt: p, negative_prompt: 7 }), 400, "negative_prompt", "invalid_request"],
  // aspect_ratio, resolution
  ["aspect_ratio 4:3", (p) => ({ prompt: p, aspect_ratio: "4:3" }), 400, "aspect_ratio", "invalid_request"],
  ["aspect_ratio written 16x9", (p) => ({ prompt: p, aspect_ratio: "16x9" }), 400, "aspect_ratio", "invalid_request"],
  ["resolution 4k", (p) => ({ prompt: p, resolution: "4k" }), 400, "resolution", "invalid_request"],
  ["resolution 720 without the p", (p) => ({ prompt: p, resolution: 720 }), 400, "resolution", "invalid_request"],
  // duration
  ["duration 7", (p) => ({ prompt: p, duration: 7 }), 400, "duration", "invalid_request"],
  [
    'duration "7" as a string (a numeric string is checked as its number)',
    (p) => ({ prompt: p, duration: "7" }),
    400,
    "duration",
    "invalid_request",
  ],
  [
    'duration "5.0" (not the canonical form of an allowed value)',
    (p) => ({ prompt: p, duration: "5.0" }),
    400,
    "duration",
    "invalid_request",
  ],
  ["duration 5.5", (p) => ({ prompt: p, duration: 5.5 }), 400, "duration", "invalid_request"],
  // seed
  ["seed -1", (p) => ({ prompt: p, seed: -1 }), 400, "seed", "invalid_request"],
  ["seed 2147483648", (p) => ({ prompt: p, seed: 2147483648 }), 400, "seed", "invalid_request"],
  ["seed 1.5", (p) => ({ prompt: p, seed: 1.5 }), 400, "seed", "invalid_request"],
  ['seed " 1" (a numeric string has no spaces)', (p) => ({ prompt: p, seed: " 1" }), 400, "seed", "invalid_request"],
  ['seed "1e3" (no exponent)', (p) => ({ prompt: p, seed: "1e3" }), 400, "seed", "invalid_request"],
  // enable_prompt_expansion, model
  [
    'enable_prompt_expansion "yes"',
    (p) => ({ prompt: p, enable_prompt_expansion: "yes" }),
    400,
    "enable_prompt_expansion",
    "invalid_request",
  ],
  ["an unknown model", (p) => ({ prompt: p, model: "acme/no-such-model" }), 400, "model", "invalid_request"],
  [
    "a field of another model (image_url is not a field of the default model)",
    (p) => ({ prompt: p, image_url: "https://media.example.com/a.png" }),
    400,
    "image_url",
    "invalid_request",
  ],
  [
    "enhance_prompt and enable_prompt_expansion with different values (one flag)",
    (p) => ({ prompt: p, enhance_prompt: true, enable_prompt_expansion: false }),
    400,
    "enable_prompt_expansion",
    "invalid_request",
  ],
  ["a null model", (p) => ({ prompt: p, model: null }), 400, "model", "invalid_request"],
  // Unknown fields
  ["an unknown top-level field", (p) => ({ prompt: p, colour: "red" }), 400, "colour", "invalid_request"],
  // webhook_events
  [
    "webhook_events with an unknown event",
    (p) => ({ prompt: p, webhook_events: ["completed", "finished"] }),
    400,
    "webhook_events",
    "invalid_request",
  ],
  [
    "webhook_events given as a string",
    (p) => ({ prompt: p, webhook_events: "completed" }),
    400,
    "webhook_events",
    "invalid_request",
  ],
  // metadata
  ["metadata given as a string", (p) => ({ prompt: p, metadata: "order-17" }), 400, "metadata", "invalid_request"],
  ["metadata given as an array", (p) => ({ prompt: p, metadata: ["order-17"] }), 400, "metadata", "invalid_request"],
  ["metadata null", (p) => ({ prompt: p, metadata: null }), 400, "metadata", "invalid_request"],
  [
    "metadata one byte over 2 KB serialized",
    (p) => ({ prompt: p, metadata: metadataOfBytes(2049) }),
    400,
    "metadata",
    "invalid_request",
  ],
  // webhook_url: type, then the URL policy (rules that hold even with WEBHOOK_ALLOW_PRIVATE=true)
  ["a numeric webhook_url", (p) => ({ prompt: p, webhook_url: 443 }), 400, "webhook_url", "invalid_request"],
  [
    "webhook_url that is not a URL",
    (p) => ({ prompt: p, webhook_url: "not a url" }),
    400,
    "webhook_url",
    "invalid_webhook_url",
  ],
  ["webhook_url ftp://x", (p) => ({ prompt: p, webhook_url: "ftp://x" }), 400, "webhook_url", "invalid_webhook_url"],
  [
    "webhook_url with user-info",
    (p) => ({ prompt: p, webhook_url: "https://user:pw@example.com/" }),
    400,
    "webhook_url",
    "invalid_webhook_url",
  ],
  [
    "webhook_url at 0.0.0.0",
    (p) => ({ prompt: p, webhook_url: "https://0.0.0.0/hook" }),
    400,
    "webhook_url",
    "invalid_webhook_url",
  ],
  [
    "webhook_url at the cloud metadata address",
    (p) => ({ prompt: p, webhook_url: "https://169.254.169.254/latest/meta-data" }),
    400,
    "webhook_url",
    "invalid_webhook_url",
  ],
  [
    "webhook_url at the IPv6 unspecified address",
    (p) => ({ prompt: p, webhook_url: "https://[::]/hook" }),
    400,
    "webhook_url",
    "invalid_webhook_url",
  ],
  [
    "webhook_url over 2048 characters",
    (p) => ({ prompt: p, webhook_url: webhookUrlOfLength(2049) }),
    400,
    "webhook_url",
    "invalid_webhook_url",
  ],
];

function send(body: unknown, as: Client = "bob", headers: HeadersInit = {}): Promise<Response> {
  return postJson(PATH, body, { as, headers });
}

/** The prompt a body carries, if any: what the fake upstream would count a submit under. */
function promptIn(body: unknown): string | null {
  if (typeof body === "string") {
    const match = /"prompt":\s*("(?:[^"\\]|\\.)*")/.exec(body);
    return match?.[1] === undefined ? null : (JSON.parse(match[1]) as string);
  }
  if (typeof body === "object" && body !== null && "prompt" in body && typeof body.prompt === "string")
    return body.prompt;
  return null;
}

async function listFor(as: Client): Promise<Generation[]> {
  const found: Generation[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 50; page++) {
    const response = await call(`${PATH}?limit=100${cursor === null ? "" : `&cursor=${cursor}`}`, { as });
    expect(response.status).toBe(200);
    const body = await response.json<{ data: Generation[]; next_cursor: string | null }>();
    found.push(...body.data);
    cursor = body.next_cursor;
    if (cursor === null) break;
  }
  return found;
}

describe("POST /v1/generations refuses bad bodies", () => {
  it("has a corpus of at least 35 bad bodies", () => {
    expect(BAD_BODIES.length).toBeGreaterThanOrEqual(35);
  });

  it.each(BAD_BODIES)("refuses %s", async (_name, bodyFor, status, field, code) => {
    const response = await send(bodyFor(uniquePrompt()));
    const error = await expectNativeError(response, status, code);
    if (field === null) return;
    expect(error.message).toContain(field === "(body)" ? "body" : field);
    const fields = (error.details ?? []).map((detail) => detail.field);
    expect(
      fields.some((f) => f === field || f.startsWith(`${field}.`)),
      JSON.stringify(error.details),
    ).toBe(true);
  });

  it("refuses a prompt over 800 characters with the length rule", async () => {
    const error = await expectNativeError(await send({ prompt: promptOfLength(801) }), 400, "invalid_request");
    expect(error.message).toMatch(/^prompt .*800/);
    expect(error.details).toContainEqual(expect.objectContaining({ field: "prompt", rule: "too_big" }));
  });

  it("refuses an unknown model naming model and pointing at GET /v1/models", async () => {
    const error = await expectNativeError(
      await send({ prompt: uniquePrompt(), model: "acme/no-such-model" }),
      400,
      "invalid_request",
    );
    expect(error.message).toContain("GET /v1/models");
    expect(error.details).toEqual([{ field: "model", rule: "unknown_model", message: error.message }]);
  });

  it("reports a blank prompt beside other refused fields", async () => {
    const error = await expectNativeError(await send({ prompt: "   ", seed: -1 }), 400, "invalid_request");
    expect(error.details).toContainEqual({ field: "prompt", rule: "blank", message: "prompt must not be blank" });
    expect(error.details?.map((detail) => detail.field)).toContain("seed");
  });

  it("reports a relay field and a model field together", async () => {
    const error = await expectNativeError(
      await send({ prompt: uniquePrompt(), webhook_events: ["finished"], duration: 7 }),
      400,
      "invalid_request",
    );
    const fields = (error.details ?? []).map((detail) => detail.field);
    expect(fields).toEqual(expect.arrayContaining(["webhook_events.0", "duration"]));
  });

  it("reports a missing prompt as required", async () => {
    const error = await expectNativeError(await send({}), 400, "invalid_request");
    expect(error.details).toContainEqual({ field: "prompt", rule: "required", message: "prompt is required" });
  });

  it("names the unknown field in the message", async () => {
    const error = await expectNativeError(
      await send({ prompt: uniquePrompt(), colour: "red" }),
      400,
      "invalid_request",
    );
    expect(error.message).toBe("colour is not a known field");
    expect(error.details).toContainEqual({
      field: "colour",
      rule: "unknown_field",
      message: "colour is not a known field",
    });
  });

  it("reports every offending field, not only the first", async () => {
    const error = await expectNativeError(await send({ prompt: "", seed: -1, duration: 7 }), 400, "invalid_request");
    const fields = (error.details ?? []).map((detail) => detail.field);
    expect(fields).toEqual(expect.arrayContaining(["prompt", "seed", "duration"]));
  });

  it("refuses an Idempotency-Key over 255 characters, naming it", async () => {
    const response = await send({ prompt: uniquePrompt() }, "bob", { "Idempotency-Key": "k".repeat(256) });
    const error = await expectNativeError(response, 400, "invalid_request");
    expect(error.message).toContain("Idempotency-Key");
    expect(error.details?.map((detail) => detail.field)).toContain("Idempotency-Key");
  });

  it("refuses an empty Idempotency-Key", async () => {
    const response = await send({ prompt: uniquePrompt() }, "bob", { "Idempotency-Key": "" });
    const error = await expectNativeError(response, 400, "invalid_request");
    expect(error.message).toContain("Idempotency-Key");
  });

  it("refuses Content-Type text/plain with 415", async () => {
    const response = await send(JSON.stringify({ prompt: uniquePrompt() }), "bob", { "Content-Type": "text/plain" });
    const error = await expectNativeError(response, 415, "unsupported_media_type");
    expect(error.message).toContain("Content-Type");
  });

  it("refuses a form-encoded body with 415", async () => {
    const response = await send(`prompt=${encodeURIComponent(uniquePrompt())}`, "bob", {
      "Content-Type": "application/x-www-form-urlencoded",
    });
    await expectNativeError(response, 415, "unsupported_media_type");
  });

  it("refuses a body without Content-Type with 415", async () => {
    // A Uint8Array body gets no implicit Content-Type (a string would get text/plain).
    const bytes = new TextEncoder().encode(JSON.stringify({ prompt: uniquePrompt() }));
    const response = await call(PATH, { as: "bob", method: "POST", body: bytes });
    expect(response.status).toBe(415);
    const error = await expectNativeError(response, 415, "unsupported_media_type");
    expect(error.message).toContain("none");
  });

  it("refuses a body over 64 KB with 413", async () => {
    const body = JSON.stringify({ prompt: uniquePrompt(), metadata: { pad: "x".repeat(64 * 1024) } });
    expect(body.length).toBeGreaterThan(64 * 1024);
    await expectNativeError(await send(body), 413, "payload_too_large");
  });

  it("refuses a chunked body over 64 KB (no Content-Length) with 413", async () => {
    // 1 MB in 8 KB chunks: far more than the limit, so stopping early is visible.
    const CHUNKS = 128;
    const chunk = new TextEncoder().encode(" ".repeat(8 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode(`{"prompt": ${JSON.stringify(uniquePrompt())}`));
        if (sent >= CHUNKS) {
          controller.enqueue(new TextEncoder().encode("}"));
          controller.close();
          return;
        }
        controller.enqueue(chunk);
        sent++;
      },
    });
    const request = new Request(`${ORIGIN}${PATH}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TEST_CLIENT_KEYS.bob}`, "Content-Type": "application/json" },
      body: stream,
    });
    expect(request.headers.get("Content-Length")).toBeNull();
    await expectNativeError(await exports.default.fetch(request), 413, "payload_too_large");
    // Counted as it streamed in: the relay stopped reading well before the end.
    expect(sent).toBeLessThan(CHUNKS);
  });

  it("creates nothing and sends nothing upstream for any refused body", async () => {
    const prompts: string[] = [];
    for (const [name, bodyFor, status] of BAD_BODIES) {
      const unique = uniquePrompt();
      const body = bodyFor(unique);
      // Only prompts unique to this test: an empty prompt, say, may reach the fake from another file's test.
      const prompt = promptIn(body);
      if (prompt?.startsWith(unique)) prompts.push(prompt);
      const response = await send(body);
      expect(response.status, name).toBe(status);
    }
    const oversizeKey = uniquePrompt();
    prompts.push(oversizeKey);
    expect((await send({ prompt: oversizeKey }, "bob", { "Idempotency-Key": "k".repeat(256) })).status).toBe(400);
    const plainText = uniquePrompt();
    prompts.push(plainText);
    expect((await send(JSON.stringify({ prompt: plainText }), "bob", { "Content-Type": "text/plain" })).status).toBe(
      415,
    );
    expect(prompts.length).toBeGreaterThan(25);

    // A control: one good create, whose first alarm (the submit) is awaited, so
    // a wrongly accepted bad body would have been submitted by now too.
    const control = await create({ prompt: uniquePrompt() }, "alice");
    await waitForSubmission(control.id);
    expect((await upstreamStats({ prompt: String(control.input.prompt) })).submits).toBe(1);

    // bob is never used to create a generation, in this file or any other.
    const bobs = await listFor("bob");
    expect(bobs).toEqual([]);
    for (const prompt of prompts) {
      expect((await upstreamStats({ prompt: prompt })).submits, prompt).toBe(0);
    }
  });
});

describe("webhook_url refusals that depend on WEBHOOK_ALLOW_PRIVATE", () => {
  /** The Worker with WEBHOOK_ALLOW_PRIVATE=false, as deployed (the test bindings turn it on). */
  async function createStrict(body: unknown): Promise<Response> {
    const request = new Request(`${ORIGIN}${PATH}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TEST_CLIENT_KEYS.bob}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const ctx = createExecutionContext();
    const response = await app.fetch(request, { ...env, WEBHOOK_ALLOW_PRIVATE: "false" }, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  }

  it.each([
    ["localhost", "https://localhost/x"],
    ["a private IPv4 address", "https://10.0.0.1/"],
    ["a loopback IPv4 address", "https://127.0.0.1:8443/hook"],
    ["plain http", "http://hooks.example.com/x"],
    ["a .internal name", "https://hooks.internal/x"],
  ])("refuses %s when private hosts are not allowed", async (_name, url) => {
    const prompt = uniquePrompt();
    const error = await expectNativeError(await createStrict({ prompt, webhook_url: url }), 400, "invalid_webhook_url");
    expect(error.message).toContain("webhook_url");
    expect(error.details?.map((detail) => detail.field)).toEqual(["webhook_url"]);
    expect((await upstreamStats({ prompt: prompt })).submits).toBe(0);
  });
});

describe("POST /v1/generations accepts boundary values", () => {
  it("accepts a prompt of exactly 800 characters", async () => {
    const prompt = promptOfLength(800);
    const response = await send({ prompt }, "alice");
    expect(response.status, await response.clone().text()).toBe(202);
    expect((await response.json<Generation>()).input.prompt).toBe(prompt);
  });

  it("accepts a one-character prompt", async () => {
    expect((await send({ prompt: "x" }, "alice")).status).toBe(202);
  });

  it("accepts a negative_prompt of exactly 500 characters", async () => {
    expect((await send({ prompt: uniquePrompt(), negative_prompt: "n".repeat(500) }, "alice")).status).toBe(202);
  });

  it.each([0, 2147483647])("accepts seed %d", async (seed) => {
    const response = await send({ prompt: uniquePrompt(), seed }, "alice");
    expect(response.status).toBe(202);
    expect((await response.json<Generation>()).input.seed).toBe(seed);
  });

  it.each([5, 10])("accepts duration %d", async (duration) => {
    const response = await send({ prompt: uniquePrompt(), duration }, "alice");
    expect(response.status).toBe(202);
    expect((await response.json<Generation>()).input.duration).toBe(duration);
  });

  it("accepts metadata of exactly 2048 bytes serialized and echoes it", async () => {
    const metadata = metadataOfBytes(2048);
    const response = await send({ prompt: uniquePrompt(), metadata }, "alice");
    expect(response.status, await response.clone().text()).toBe(202);
    expect((await response.json<Generation>()).metadata).toEqual(metadata);
  });

  it("accepts every field at once, with the model named explicitly", async () => {
    const body = {
      model: "alibaba/wan2.5-t2v-preview",
      prompt: uniquePrompt(),
      negative_prompt: "blurry",
      aspect_ratio: "9:16",
      resolution: "1080p",
      duration: 10,
      enable_prompt_expansion: false,
      seed: 42,
      webhook_url: "https://hooks.example.com/wan",
      webhook_events: ["started", "completed", "failed", "canceled"],
      metadata: { order: 17, tags: ["a", "b"], nested: { ok: true } },
    };
    const response = await send(body, "alice");
    expect(response.status, await response.clone().text()).toBe(202);
    const generation = await response.json<Generation>();
    expect(generation.input).toMatchObject({ aspect_ratio: "9:16", resolution: "1080p", duration: 10, seed: 42 });
    expect(generation.webhook?.events).toEqual(["started", "completed", "failed", "canceled"]);
  });

  it("adds no defaults: input is exactly the fields sent", async () => {
    const prompt = uniquePrompt();
    const response = await send({ prompt, duration: 5 }, "alice");
    expect(response.status).toBe(202);
    const generation = await response.json<Generation>();
    expect(generation.input).toEqual({ prompt, duration: 5 });
    expect(generation.model).toBe("alibaba/wan2.5-t2v-preview");
  });

  it("takes enhance_prompt as the same flag as enable_prompt_expansion, echoed under the name sent", async () => {
    const alone = await send({ prompt: uniquePrompt(), enhance_prompt: false }, "alice");
    expect(alone.status).toBe(202);
    expect((await alone.json<Generation>()).input).toMatchObject({ enhance_prompt: false });
    const both = await send({ prompt: uniquePrompt(), enhance_prompt: true, enable_prompt_expansion: true }, "alice");
    expect(both.status).toBe(202);
  });

  it("accepts Content-Type application/json with a charset", async () => {
    const response = await send({ prompt: uniquePrompt() }, "alice", {
      "Content-Type": "application/json; charset=utf-8",
    });
    expect(response.status).toBe(202);
  });

  it("accepts an Idempotency-Key of exactly 255 characters", async () => {
    const response = await send({ prompt: uniquePrompt() }, "alice", {
      "Idempotency-Key": `${crypto.randomUUID()}`.padEnd(255, "k"),
    });
    expect(response.status).toBe(202);
  });
});
