/**
 * `data:` URIs in media fields (docs/api.md#errors, #models): stored in R2 by the
 * Worker before the generation's object starts, never in its state; sent to
 * the upstream byte-identical at submission; echoed in `input` as a short
 * reference; deleted by `deleteStoredInputs`; refused over
 * MAX_INLINE_MEDIA_BYTES (413 naming the field). The 64 KB limit still holds
 * for everything but those URIs.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app.ts";
import { readConfig } from "../../src/config.ts";
import type { Generation } from "../../src/api/schemas.ts";
import type { GenerationState } from "../../src/generation/state.ts";
import { upstreamBody } from "../../src/generation/steps.ts";
import { base64 } from "../../src/lib/encoding.ts";
import { deleteStoredInputs, inputKey, inputsPrefix } from "../../src/models/inline-media.ts";
import { createBodyCap } from "../../src/routes/create-body.ts";
import { TEST_CLIENT_KEYS } from "../support/constants.ts";
import { IMAGE_URL } from "../support/model-corpus.ts";
import {
  call,
  expectNativeError,
  get,
  isStatus,
  ORIGIN,
  postJson,
  sha256Hex,
  stateOf,
  stepUntil,
  uniquePrompt,
  upstreamStats,
  waitForSubmission,
} from "./helpers.ts";

const I2V = "alibaba/wan2.5-i2v-preview";
const R2V = "alibaba/wan-2-7-r2v";

/** `size` pseudo-random bytes (not compressible, unlike a run of one byte). */
function randomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += 65536) {
    crypto.getRandomValues(bytes.subarray(offset, Math.min(size, offset + 65536)));
  }
  return bytes;
}

function dataUri(type: string, bytes: Uint8Array): string {
  return `data:${type};base64,${base64(bytes)}`;
}

async function createI2v(imageUrl: string, extra: Record<string, unknown> = {}): Promise<Generation> {
  const response = await postJson("/v1/generations", {
    model: I2V,
    prompt: uniquePrompt(),
    image_url: imageUrl,
    ...extra,
  });
  expect(response.status, (await response.clone().text()).slice(0, 300)).toBe(202);
  return response.json<Generation>();
}

/** The exact body the fake upstream received for this generation. */
async function receivedBody(id: string): Promise<Record<string, unknown>> {
  await waitForSubmission(id);
  const task = (await stateOf(id))?.upstream.id ?? "";
  const body = (await upstreamStats({ task })).bodiesByTask[task];
  if (typeof body !== "object" || body === null) throw new Error(`no body recorded for ${task}`);
  return body as Record<string, unknown>;
}

/** The app with some vars changed (the Durable Objects keep the test's own env). */
async function callWith(bindings: Partial<Env>, path: string, body: unknown): Promise<Response> {
  const ctx = createExecutionContext();
  const request = new Request(`${ORIGIN}${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TEST_CLIENT_KEYS.alice}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const response = await app.fetch(request, { ...env, ...bindings }, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

describe("a data: URI in a media field", () => {
  it("is accepted beyond 64 KB, echoed as a short reference, kept in R2 and out of the object's state", async () => {
    const bytes = randomBytes(300 * 1024);
    const uri = dataUri("image/png", bytes);
    expect(uri.length).toBeGreaterThan(64 * 1024);
    const created = await createI2v(uri);

    const reference = {
      type: "data_uri",
      media_type: "image/png",
      bytes: bytes.byteLength,
      sha256: await sha256Hex(bytes),
    };
    expect(created.input.image_url).toEqual(reference);
    expect(JSON.stringify(created.input.image_url).length).toBeLessThan(1024);
    expect(JSON.stringify(created).length).toBeLessThan(2048);
    expect(JSON.stringify(await get(created.id))).not.toContain(uri.slice(30, 100));

    const stored = await env.VIDEOS.get(inputKey(created.id, ["image_url"]));
    expect(await stored?.text()).toBe(uri);
    expect(stored?.customMetadata).toEqual({
      media_type: "image/png",
      bytes: String(bytes.byteLength),
      sha256: reference.sha256,
    });

    const state = await stateOf(created.id);
    const row = JSON.stringify(state);
    expect(row.length).toBeLessThan(4096);
    expect(row).not.toContain(uri.slice(30, 100));
    expect(state?.inlineMedia).toEqual([
      {
        path: ["image_url"],
        key: `inputs/${created.id}/image_url`,
        mediaType: "image/png",
        bytes: bytes.byteLength,
        sha256: reference.sha256,
      },
    ]);
  });

  it("reaches the upstream byte-identical at submission, and the generation completes", async () => {
    const uri = dataUri("image/jpeg", randomBytes(100 * 1024));
    const created = await createI2v(uri, { resolution: "480p" });
    const received = await receivedBody(created.id);
    expect(received.image_url).toBe(uri);
    expect(received).toEqual({ model: I2V, prompt: created.input.prompt, image_url: uri, resolution: "480p" });
    await stepUntil(created.id, isStatus("completed", "failed"));
    expect((await get(created.id)).status).toBe("completed");
  });

  it("is sent exactly as written: media type parameters, upper case, non-canonical padding bits", async () => {
    // "QR==" decodes to the same byte as "QQ==": re-encoding would not give back what was sent.
    const uri = "data:Image/PNG;name=cat.png;base64,QR==";
    const created = await createI2v(uri);
    expect(created.input.image_url).toMatchObject({ type: "data_uri", media_type: "image/png", bytes: 1 });
    expect((await receivedBody(created.id)).image_url).toBe(uri);
  });

  it("works in a list field, beside URLs, each under its own key and in its place", async () => {
    const first = dataUri("image/webp", randomBytes(2000));
    const second = dataUri("video/mp4", randomBytes(3000));
    const prompt = uniquePrompt();
    const response = await postJson("/v1/generations", {
      model: R2V,
      prompt,
      image_urls: [IMAGE_URL, first],
      video_urls: [second],
    });
    expect(response.status, await response.clone().text()).toBe(202);
    const created = await response.json<Generation>();
    expect(created.input.image_urls).toEqual([IMAGE_URL, expect.objectContaining({ type: "data_uri", bytes: 2000 })]);
    expect(created.input.video_urls).toEqual([expect.objectContaining({ media_type: "video/mp4", bytes: 3000 })]);
    const listed = await env.VIDEOS.list({ prefix: inputsPrefix(created.id) });
    expect(listed.objects.map((object) => object.key).sort()).toEqual(
      [`inputs/${created.id}/image_urls/1`, `inputs/${created.id}/video_urls/0`].sort(),
    );
    expect(await receivedBody(created.id)).toEqual({
      model: R2V,
      prompt,
      image_urls: [IMAGE_URL, first],
      video_urls: [second],
    });
  });

  it("is deleted from R2 by deleteStoredInputs, which leaves other generations' inputs alone", async () => {
    const one = await createI2v(dataUri("image/png", randomBytes(500)));
    const other = await createI2v(dataUri("image/png", randomBytes(500)));
    await waitForSubmission(one.id);
    expect(await env.VIDEOS.head(inputKey(one.id, ["image_url"]))).not.toBeNull();
    expect(await deleteStoredInputs(env.VIDEOS, one.id)).toBe(1);
    expect(await env.VIDEOS.head(inputKey(one.id, ["image_url"]))).toBeNull();
    expect((await env.VIDEOS.list({ prefix: inputsPrefix(one.id) })).objects).toEqual([]);
    expect(await deleteStoredInputs(env.VIDEOS, one.id)).toBe(0);
    expect(await env.VIDEOS.head(inputKey(other.id, ["image_url"]))).not.toBeNull();
  });

  it("counts for idempotency by its content: the same body replays, another image is another body", async () => {
    const key = crypto.randomUUID();
    const prompt = uniquePrompt();
    const uri = dataUri("image/png", randomBytes(1000));
    const send = (imageUrl: string) =>
      postJson("/v1/generations", { model: I2V, prompt, image_url: imageUrl }, { headers: { "Idempotency-Key": key } });
    const first = await send(uri);
    expect(first.status).toBe(202);
    const replay = await send(uri);
    expect(replay.status).toBe(200);
    expect((await replay.json<Generation>()).id).toBe((await first.json<Generation>()).id);
    await expectNativeError(await send(dataUri("image/png", randomBytes(1000))), 422, "idempotency_key_reused");
  });

  it("fails the generation as input_missing, sending nothing, when the stored input is gone at submission", async () => {
    const created = await createI2v(dataUri("image/png", randomBytes(64)));
    await waitForSubmission(created.id);
    const state = (await stateOf(created.id)) as GenerationState;
    expect(await upstreamBody(state, env.VIDEOS)).toMatchObject({ kind: "ok" });
    await deleteStoredInputs(env.VIDEOS, created.id);
    expect(await upstreamBody(state, env.VIDEOS)).toEqual({ kind: "missing", key: `inputs/${created.id}/image_url` });
  });
});

describe("sizes", () => {
  it("has MAX_INLINE_MEDIA_BYTES of 20 MiB by default", () => {
    expect(readConfig(env).maxInlineMediaBytes).toBe(20971520);
  });

  it("takes a data: URI of exactly the default 20 MiB, sent upstream byte-identical, and refuses one byte more", async () => {
    const uri = dataUri("image/png", randomBytes(20_971_520));
    const created = await createI2v(uri);
    expect(created.input.image_url).toMatchObject({ bytes: 20_971_520 });
    expect((await receivedBody(created.id)).image_url === uri).toBe(true);
    const over = await postJson("/v1/generations", {
      model: I2V,
      prompt: uniquePrompt(),
      image_url: dataUri("image/png", randomBytes(20_971_521)),
    });
    const error = await expectNativeError(over, 413, "payload_too_large");
    expect(error.details?.map((detail) => detail.field)).toEqual(["image_url"]);
    expect(error.message).toContain("20971520");
  }, 60_000);

  it("refuses a data: URI over MAX_INLINE_MEDIA_BYTES decoded with 413 naming the field, and takes one at the limit", async () => {
    const bindings = { MAX_INLINE_MEDIA_BYTES: "3000" };
    const over = await callWith(bindings, "/v1/generations", {
      model: I2V,
      prompt: uniquePrompt(),
      image_url: dataUri("image/png", randomBytes(3001)),
    });
    const error = await expectNativeError(over, 413, "payload_too_large");
    expect(error.message).toContain("image_url");
    expect(error.message).toContain("MAX_INLINE_MEDIA_BYTES");
    expect(error.details).toEqual([{ field: "image_url", rule: "too_large", message: error.message }]);

    const prompt = uniquePrompt();
    const atLimit = await callWith(bindings, "/v1/generations", {
      model: I2V,
      prompt,
      image_url: dataUri("image/png", randomBytes(3000)),
    });
    expect(atLimit.status, await atLimit.clone().text()).toBe(202);
  });

  it("names each over-size field of a list, in the upstream's shape on the compatible API", async () => {
    const bindings = { MAX_INLINE_MEDIA_BYTES: "1000" };
    const body = {
      model: R2V,
      prompt: uniquePrompt(),
      image_urls: [dataUri("image/png", randomBytes(10)), dataUri("image/png", randomBytes(1001))],
    };
    const native = await expectNativeError(await callWith(bindings, "/v1/generations", body), 413, "payload_too_large");
    expect(native.details?.map((detail) => detail.field)).toEqual(["image_urls.1"]);
    const compat = await callWith(bindings, "/v2/video/generations", body);
    expect(compat.status).toBe(413);
    expect(await compat.json()).toEqual({ message: expect.stringContaining("image_urls.1"), statusCode: 413 });
    expect((await upstreamStats({ prompt: body.prompt })).submits).toBe(0);
  });

  it("stops reading a body far over the cap, without naming a field", async () => {
    const bindings = { MAX_INLINE_MEDIA_BYTES: "1000" };
    const cap = createBodyCap(1000);
    const error = await expectNativeError(
      await callWith(bindings, "/v1/generations", {
        model: I2V,
        prompt: uniquePrompt(),
        image_url: `data:image/png;base64,${"A".repeat(cap)}`,
      }),
      413,
      "payload_too_large",
    );
    expect(error.message).toContain("MAX_INLINE_MEDIA_BYTES");
  });

  it("reads a chunked body (no Content-Length) with a large data: URI, and stops one past the cap early", async () => {
    const bindings = { MAX_INLINE_MEDIA_BYTES: "200000" };
    const cap = createBodyCap(200_000);
    const chunk = new TextEncoder().encode("A".repeat(8192));
    const streamed = (chunks: number) => {
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent === 0) {
            const head = `{"model": "${I2V}", "prompt": ${JSON.stringify(uniquePrompt())}, "image_url": "data:image/png;base64,`;
            controller.enqueue(new TextEncoder().encode(head));
          }
          if (sent >= chunks) {
            controller.enqueue(new TextEncoder().encode('"}'));
            controller.close();
            return;
          }
          controller.enqueue(chunk);
          sent++;
        },
      });
      return { stream, sent: () => sent };
    };
    const post = async (stream: ReadableStream<Uint8Array>) => {
      const ctx = createExecutionContext();
      const request = new Request(`${ORIGIN}/v1/generations`, {
        method: "POST",
        headers: { Authorization: `Bearer ${TEST_CLIENT_KEYS.alice}`, "Content-Type": "application/json" },
        body: stream,
      });
      expect(request.headers.get("Content-Length")).toBeNull();
      const response = await app.fetch(request, { ...env, ...bindings }, ctx);
      await waitOnExecutionContext(ctx);
      return response;
    };
    // 16 chunks: 128 KiB of base64 (96 KiB decoded), over 64 KB but within the limits.
    const fits = streamed(16);
    const accepted = await post(fits.stream);
    expect(accepted.status, await accepted.clone().text()).toBe(202);
    expect((await accepted.json<Generation>()).input.image_url).toMatchObject({ bytes: 96 * 1024 });
    // Ten times the cap: refused as soon as the cap is passed.
    const chunks = Math.ceil((cap * 10) / chunk.byteLength);
    const huge = streamed(chunks);
    await expectNativeError(await post(huge.stream), 413, "payload_too_large");
    expect(huge.sent()).toBeLessThan(chunks / 2);
  });

  it("still refuses 64 KB of anything else: a data: URI in a field that is not media counts", async () => {
    const prompt = `data:image/png;base64,${"A".repeat(70 * 1024)}`;
    await expectNativeError(await postJson("/v1/generations", { prompt }), 413, "payload_too_large");
    const padded = { model: I2V, prompt: uniquePrompt(), image_url: dataUri("image/png", randomBytes(10)) };
    const withMetadata = { ...padded, metadata: { pad: "x".repeat(64 * 1024) } };
    await expectNativeError(await postJson("/v1/generations", withMetadata), 413, "payload_too_large");
  });

  it("refuses a body with an unknown model as 400 naming model, whatever data: URIs it carries", async () => {
    const body = {
      model: "acme/no-such-model",
      prompt: uniquePrompt(),
      image_url: dataUri("image/png", randomBytes(100_000)),
    };
    const error = await expectNativeError(
      await postJson("/v1/generations", body, { as: "bob" }),
      400,
      "invalid_request",
    );
    expect(error.details?.map((detail) => detail.field)).toEqual(["model"]);
  });

  it("keeps the Generation small with a data: URI of a megabyte", async () => {
    const created = await createI2v(dataUri("image/png", randomBytes(1024 * 1024)));
    expect(JSON.stringify(created).length).toBeLessThan(2048);
    const listed = await call("/v1/generations?limit=5");
    expect(listed.status).toBe(200);
    expect((await listed.text()).length).toBeLessThan(5 * 2048 + 100);
  });
});
