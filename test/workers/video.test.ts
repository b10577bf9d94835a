/**
 * Serving the stored video: bearer or signed link, Range, ETag, If-None-Match,
 * If-Range, HEAD, a missing object.
 */
import { env } from "cloudflare:workers";
import { keyring } from "../../src/keyring/keyring.ts";
import { signVideoLink } from "../../src/lib/link-signing.ts";
import { beforeAll, describe, expect, it } from "vitest";
import type { Generation } from "../../src/api/schemas.ts";
import { call, create, get, isStatus, ORIGIN, stepUntil, uniquePrompt } from "./helpers.ts";

const SIZE = 1_000_003;
let generation: Generation;
let bytes: Uint8Array;

beforeAll(async () => {
  const created = await create({ prompt: uniquePrompt(`size=${SIZE}`) });
  await stepUntil(created.id, isStatus("completed"));
  generation = await get(created.id);
  const object = await env.VIDEOS.get(`videos/${created.id}.mp4`);
  if (!object) throw new Error("video not stored");
  bytes = new Uint8Array(await object.arrayBuffer());
});

const videoPath = () => `/v1/generations/${generation.id}/video`;
const signedPath = () => {
  const url = new URL(generation.video?.url ?? "");
  expect(url.origin).toBe(ORIGIN);
  return `${url.pathname}${url.search}`;
};

describe("GET /v1/generations/{id}/video", () => {
  it("serves the whole video to the owner's key with its headers", async () => {
    const response = await call(videoPath());
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("video/mp4");
    expect(response.headers.get("Content-Length")).toBe(String(SIZE));
    expect(response.headers.get("Accept-Ranges")).toBe("bytes");
    expect(response.headers.get("ETag")).toBe(`"${generation.video?.sha256}"`);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
  });

  it("serves it through the signed link without a key", async () => {
    const response = await call(signedPath(), { as: null });
    expect(response.status).toBe(200);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
  });

  it("refuses a link whose signature was altered", async () => {
    const path = signedPath().replace(/signature=(.)/, (_m, c: string) => `signature=${c === "A" ? "B" : "A"}`);
    const response = await call(path, { as: null });
    expect(response.status).toBe(403);
    expect((await response.json<{ error: { code: string } }>()).error.code).toBe("invalid_signature");
  });

  it("refuses a link whose expiry was moved", async () => {
    const path = signedPath().replace(/expires=(\d+)/, (_m, e: string) => `expires=${Number(e) + 1000}`);
    expect((await call(path, { as: null })).status).toBe(403);
  });

  it("refuses a link for another generation's id", async () => {
    const other = await create({ prompt: uniquePrompt() });
    const path = signedPath().replace(generation.id, other.id);
    expect((await call(path, { as: null })).status).toBe(403);
  });

  it("refuses no key and no signature with 401", async () => {
    expect((await call(videoPath(), { as: null })).status).toBe(401);
  });

  it("hides the video from another client's key", async () => {
    expect((await call(videoPath(), { as: "bob" })).status).toBe(404);
  });

  it("answers a range with 206 and exactly those bytes", async () => {
    const response = await call(videoPath(), { headers: { Range: "bytes=100-1099" } });
    expect(response.status).toBe(206);
    expect(response.headers.get("Content-Range")).toBe(`bytes 100-1099/${SIZE}`);
    expect(response.headers.get("Content-Length")).toBe("1000");
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes.slice(100, 1100));
  });

  it("answers an open-ended range and a suffix range", async () => {
    const open = await call(videoPath(), { headers: { Range: `bytes=${SIZE - 10}-` } });
    expect(open.status).toBe(206);
    expect(new Uint8Array(await open.arrayBuffer())).toEqual(bytes.slice(SIZE - 10));
    const suffix = await call(videoPath(), { headers: { Range: "bytes=-500" } });
    expect(suffix.headers.get("Content-Range")).toBe(`bytes ${SIZE - 500}-${SIZE - 1}/${SIZE}`);
    expect(new Uint8Array(await suffix.arrayBuffer())).toEqual(bytes.slice(SIZE - 500));
  });

  it("answers a suffix longer than the video with all of it", async () => {
    const response = await call(videoPath(), { headers: { Range: `bytes=-${SIZE + 1}` } });
    expect(response.status).toBe(206);
    expect(response.headers.get("Content-Range")).toBe(`bytes 0-${SIZE - 1}/${SIZE}`);
    expect(response.headers.get("Content-Length")).toBe(String(SIZE));
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
  });

  it("answers several ranges with the whole video", async () => {
    const response = await call(videoPath(), { headers: { Range: "bytes=0-9, 20-29" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Range")).toBeNull();
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
  });

  it("ignores a malformed range", async () => {
    const response = await call(videoPath(), { headers: { Range: "bytes=500-100" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Length")).toBe(String(SIZE));
    await response.arrayBuffer();
  });

  it("clamps a range that runs past the end", async () => {
    const response = await call(videoPath(), { headers: { Range: `bytes=${SIZE - 5}-${SIZE + 100}` } });
    expect(response.status).toBe(206);
    expect(response.headers.get("Content-Length")).toBe("5");
    await response.arrayBuffer();
  });

  it("answers 416 for a range that starts past the end", async () => {
    const response = await call(videoPath(), { headers: { Range: `bytes=${SIZE}-` } });
    expect(response.status).toBe(416);
    expect(response.headers.get("Content-Range")).toBe(`bytes */${SIZE}`);
  });

  it.each([`bytes=${SIZE}-${SIZE + 10}`, "bytes=-0", `bytes=${SIZE}-, ${SIZE + 5}-`])(
    "answers 416 to %s, with the stored size",
    async (range) => {
      const response = await call(videoPath(), { headers: { Range: range } });
      expect(response.status).toBe(416);
      expect(response.headers.get("Content-Range")).toBe(`bytes */${SIZE}`);
    },
  );

  it("answers 304 to a matching If-None-Match", async () => {
    const etag = `"${generation.video?.sha256}"`;
    const response = await call(videoPath(), { headers: { "If-None-Match": etag } });
    expect(response.status).toBe(304);
    expect(response.headers.get("ETag")).toBe(etag);
    const changed = await call(videoPath(), { headers: { "If-None-Match": '"something-else"' } });
    expect(changed.status).toBe(200);
    await changed.arrayBuffer();
  });

  it.each(["*", 'W/"x", W/ETAG', '"other", ETAG'])("answers 304 to If-None-Match: %s", async (list) => {
    const etag = `"${generation.video?.sha256}"`;
    const response = await call(videoPath(), { headers: { "If-None-Match": list.replace("ETAG", etag) } });
    expect(response.status).toBe(304);
    expect(response.headers.get("Content-Length")).toBeNull();
    expect((await response.arrayBuffer()).byteLength).toBe(0);
  });

  it("answers 304 before looking at the range", async () => {
    const etag = `"${generation.video?.sha256}"`;
    const response = await call(videoPath(), { headers: { "If-None-Match": etag, Range: `bytes=${SIZE}-` } });
    expect(response.status).toBe(304);
  });

  it("serves the range when If-Range names the current ETag", async () => {
    const etag = `"${generation.video?.sha256}"`;
    const response = await call(videoPath(), { headers: { Range: "bytes=10-19", "If-Range": etag } });
    expect(response.status).toBe(206);
    expect(response.headers.get("Content-Range")).toBe(`bytes 10-19/${SIZE}`);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes.slice(10, 20));
  });

  it("sends the whole video when If-Range does not match", async () => {
    const response = await call(videoPath(), { headers: { Range: "bytes=0-9", "If-Range": '"stale"' } });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
  });

  it("answers HEAD with the headers and no body", async () => {
    const response = await call(videoPath(), { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Length")).toBe(String(SIZE));
    expect(response.headers.get("ETag")).toBe(`"${generation.video?.sha256}"`);
    expect((await response.arrayBuffer()).byteLength).toBe(0);
  });

  it("answers HEAD with a range with 206 headers and no body", async () => {
    const response = await call(videoPath(), { method: "HEAD", headers: { Range: "bytes=-100" } });
    expect(response.status).toBe(206);
    expect(response.headers.get("Content-Range")).toBe(`bytes ${SIZE - 100}-${SIZE - 1}/${SIZE}`);
    expect(response.headers.get("Content-Length")).toBe("100");
    expect((await response.arrayBuffer()).byteLength).toBe(0);
  });

  it("answers HEAD with a matching If-None-Match with 304", async () => {
    const etag = `"${generation.video?.sha256}"`;
    const response = await call(videoPath(), { method: "HEAD", headers: { "If-None-Match": etag } });
    expect(response.status).toBe(304);
  });

  it("answers 404 video_missing when the object is gone from the bucket, even to a revalidation", async () => {
    const created = await create({ prompt: uniquePrompt("size=1000") });
    await stepUntil(created.id, isStatus("completed"));
    const lost = await get(created.id);
    await env.VIDEOS.delete(`videos/${created.id}.mp4`);
    const path = `/v1/generations/${created.id}/video`;
    const revalidations: Record<string, string>[] = [
      {},
      { "If-None-Match": `"${lost.video?.sha256}"` },
      { Range: "bytes=0-9" },
    ];
    for (const headers of revalidations) {
      const response = await call(path, { headers });
      expect(response.status).toBe(404);
      expect((await response.json<{ error: { code: string } }>()).error.code).toBe("video_missing");
    }
  });

  it("refuses an expired link with 403 link_expired", async () => {
    const { linkKey } = await keyring(env);
    const expires = Math.floor(Date.now() / 1000) - 1;
    const signature = await signVideoLink(linkKey, generation.id, expires);
    const response = await call(`${videoPath()}?expires=${expires}&signature=${signature}`, { as: null });
    expect(response.status).toBe(403);
    expect((await response.json<{ error: { code: string } }>()).error.code).toBe("link_expired");
  });

  it("answers 404 video_not_ready before the video is stored", async () => {
    const pending = await create({ prompt: uniquePrompt() });
    const response = await call(`/v1/generations/${pending.id}/video`);
    expect(response.status).toBe(404);
    expect((await response.json<{ error: { code: string } }>()).error.code).toBe("video_not_ready");
  });
});
