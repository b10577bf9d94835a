/**
 * The fake AI/ML API is itself test infrastructure: if it lies, every upstream
 * client test built on it lies too. These checks pin its behaviour to
 * docs/api.md#the-upstreamto the directive vocabulary.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import {
  startFakeAimlapi,
  expectedVideoBytes,
  expectedVideoSha256,
  FALLBACK_VIDEO_SIZE,
  MAX_BODY_BYTES,
  UPSTREAM_PATHS,
  type FakeAimlapi,
  type FakeStats,
} from "../support/fake-aimlapi.ts";

const KEY = "test-key";
const MODEL = "alibaba/wan2.5-t2v-preview";
const LEGACY = "/v2/generate/video/alibaba/generation";
const CURRENT = "/v2/video/generations";
const FAKE_FILE = fileURLToPath(new URL("../support/fake-aimlapi.ts", import.meta.url));
const SAMPLE = fileURLToPath(new URL("../../public/simulator/sample.mp4", import.meta.url));

let fake: FakeAimlapi;
let counter = 0;

/** A prompt no other test uses, so per-prompt attempt counters never collide. */
function uniquePrompt(directives = ""): string {
  counter++;
  return `a cat surfing #${counter}-${Math.random().toString(36).slice(2)} ${directives ? `[[fake ${directives}]]` : ""}`.trim();
}

function submit(
  body: unknown,
  opts: { path?: string; key?: string | null; timeoutMs?: number } = {},
): Promise<Response> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  const key = opts.key === undefined ? KEY : opts.key;
  if (key !== null) headers["Authorization"] = `Bearer ${key}`;
  return fetch(fake.url + (opts.path ?? LEGACY), {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
  });
}

function poll(id: string, opts: { path?: string; key?: string | null; timeoutMs?: number } = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  const key = opts.key === undefined ? KEY : opts.key;
  if (key !== null) headers["Authorization"] = `Bearer ${key}`;
  return fetch(`${fake.url}${opts.path ?? LEGACY}?generation_id=${encodeURIComponent(id)}`, {
    headers,
    signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
  });
}

interface PollBody {
  id: string;
  status: string;
  video: { url: string } | null;
  error: unknown;
  meta: unknown;
}

async function pollJson(id: string): Promise<PollBody> {
  const res = await poll(id);
  expect(res.status).toBe(200);
  return (await res.json()) as PollBody;
}

async function create(directives = "", path = LEGACY): Promise<{ id: string; prompt: string }> {
  const prompt = uniquePrompt(directives);
  const res = await submit({ model: MODEL, prompt }, { path });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { id: string };
  return { id: body.id, prompt };
}

/** Polls until `completed` and returns the video URL. */
async function videoUrlOf(id: string): Promise<string> {
  for (let i = 0; i < 20; i++) {
    const body = await pollJson(id);
    if (body.video !== null) return body.video.url;
  }
  throw new Error("never completed");
}

async function statsFor(query: string): Promise<FakeStats> {
  const res = await fetch(`${fake.url}/__stats?${query}`);
  return (await res.json()) as FakeStats;
}

beforeAll(async () => {
  fake = await startFakeAimlapi({ apiKey: KEY, port: 0 });
});

afterAll(async () => {
  await fake.close();
});

describe("auth and validation", () => {
  it("refuses a missing or wrong key with 401", async () => {
    for (const key of [null, "nope"]) {
      const res = await submit({ model: MODEL, prompt: uniquePrompt() }, { key });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ message: "Unauthorized", statusCode: 401 });
    }
    const res = await poll("whatever", { key: null });
    expect(res.status).toBe(401);
  });

  it("refuses a bad body with 400 naming the field", async () => {
    const cases: [unknown, string][] = [
      ["{not json", "JSON"],
      [{ model: MODEL }, "prompt"],
      [{ model: MODEL, prompt: "" }, "prompt"],
      [{ model: MODEL, prompt: "x".repeat(801) }, "prompt"],
      [{ prompt: "hello" }, "model"],
      [{ model: "other/model", prompt: "hello" }, "model"],
      [{ model: MODEL, prompt: "hello", resolution: "4k" }, "resolution"],
      [{ model: MODEL, prompt: "hello", seed: -1 }, "seed"],
    ];
    for (const [body, field] of cases) {
      const res = await submit(body);
      expect(res.status).toBe(400);
      const json = (await res.json()) as { message: string; statusCode: number };
      expect(json.statusCode).toBe(400);
      expect(json.message).toContain(field);
    }
    // 800 characters is still fine.
    expect((await submit({ model: MODEL, prompt: "y".repeat(800) })).status).toBe(201);
  });

  it("answers 404 for an unknown generation id", async () => {
    const res = await poll("00000000-0000-0000-0000-000000000000:" + MODEL);
    expect(res.status).toBe(404);
    const json = (await res.json()) as { message: string; statusCode: number };
    expect(json.statusCode).toBe(404);
    expect(typeof json.message).toBe("string");
  });
});

describe("happy path", () => {
  it.each([LEGACY, CURRENT])("goes queued → completed and serves the sample on %s", async (path) => {
    const prompt = uniquePrompt();
    const res = await submit({ model: MODEL, prompt, resolution: "720p", duration: 5 }, { path });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string; status: string; meta: unknown };
    expect(created.id).toMatch(/^[0-9a-f-]{36}:alibaba\/wan2\.5-t2v-preview$/);
    expect(created.status).toBe("queued");
    expect(created.meta).toEqual({ usage: { tokens_used: 1050000 } });

    const seen: string[] = [];
    let url: string | null = null;
    for (let i = 0; i < 6; i++) {
      const res2 = await poll(created.id, { path });
      const body = (await res2.json()) as PollBody;
      expect(body.id).toBe(created.id);
      expect(body.error).toBeNull();
      seen.push(body.status);
      if (body.status !== "completed") expect(body.video).toBeNull();
      else url = body.video?.url ?? null;
    }
    expect(seen).toEqual(["queued", "waiting", "active", "generating", "completed", "completed"]);
    expect(url).not.toBeNull();
    const videoUrl = new URL(url ?? "");
    expect(videoUrl.origin).toBe(fake.url);
    expect(videoUrl.searchParams.get("Expires")).toMatch(/^\d+$/);
    expect(videoUrl.searchParams.get("Signature")).toBeTruthy();

    const dl = await fetch(videoUrl);
    expect(dl.status).toBe(200);
    expect(dl.headers.get("content-type")).toBe("video/mp4");
    const bytes = new Uint8Array(await dl.arrayBuffer());
    expect(dl.headers.get("content-length")).toBe(String(bytes.length));
    let expected: Uint8Array;
    try {
      expected = new Uint8Array(await readFile(SAMPLE));
    } catch {
      expected = expectedVideoBytes(FALLBACK_VIDEO_SIZE);
    }
    expect(Buffer.from(bytes).equals(Buffer.from(expected))).toBe(true);
    expect(Buffer.from(fake.defaultVideo).equals(Buffer.from(expected))).toBe(true);
  });

  it("serves byte ranges like an object store", async () => {
    const { id } = await create("steps=completed size=1000");
    const url = await videoUrlOf(id);
    const res = await fetch(url, { headers: { Range: "bytes=100-199" } });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe("bytes 100-199/1000");
    expect(Buffer.from(await res.arrayBuffer()).equals(expectedVideoBytes(1000, 100, 200))).toBe(true);
    expect((await fetch(url, { headers: { Range: "bytes=5000-" } })).status).toBe(416);
  });
});

describe("upstream paths", () => {
  const VENDOR_PATHS = ["alibaba", "kling", "google", "minimax", "runway", "bytedance", "pixverse"].map(
    (vendor) => `/v2/generate/video/${vendor}/generation`,
  );

  it("serves the universal path and every vendor path", () => {
    expect([...UPSTREAM_PATHS].sort()).toEqual([CURRENT, ...VENDOR_PATHS].sort());
  });

  it.each(VENDOR_PATHS)("accepts, polls and refuses alike on %s", async (path) => {
    const { id } = await create("steps=generating,completed", path);
    const first = await poll(id, { path });
    expect(((await first.json()) as PollBody).status).toBe("generating");
    expect((await submit({ model: MODEL, prompt: uniquePrompt() }, { path, key: "nope" })).status).toBe(401);
    const bad = await submit({ model: MODEL, prompt: "hello", resolution: "4k" }, { path });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain("resolution");
  });

  it("applies directives on the universal path: submit faults, steps, error shapes, downloads", async () => {
    const prompt = uniquePrompt("submit=503:2 steps=active,failed error=string");
    const busy = await submit({ model: MODEL, prompt }, { path: CURRENT });
    expect(busy.status).toBe(503);
    expect(busy.headers.get("retry-after")).toBe("2");
    await busy.body?.cancel();
    const accepted = await submit({ model: MODEL, prompt }, { path: CURRENT });
    expect(accepted.status).toBe(201);
    const { id } = (await accepted.json()) as { id: string };
    const statuses = [];
    for (let i = 0; i < 2; i++) {
      const body = (await (await poll(id, { path: CURRENT })).json()) as PollBody;
      statuses.push([body.status, body.error]);
    }
    expect(statuses).toEqual([
      ["active", null],
      ["failed", "generation failed"],
    ]);

    const sized = await create("steps=completed size=4096", CURRENT);
    const body = (await (await poll(sized.id, { path: CURRENT })).json()) as PollBody;
    const video = await fetch(body.video?.url ?? "");
    expect(Buffer.from(await video.arrayBuffer()).equals(expectedVideoBytes(4096))).toBe(true);
    expect(await statsFor(`task=${encodeURIComponent(sized.id)}`)).toMatchObject({
      submits: 1,
      polls: 1,
      downloads: 1,
    });
  });

  it("a task created on one path can be polled on another", async () => {
    const { id } = await create("steps=completed", VENDOR_PATHS[1]);
    expect(((await (await poll(id, { path: CURRENT })).json()) as PollBody).status).toBe("completed");
  });

  it("answers 405 to another method on an upstream path and a JSON 404 elsewhere", async () => {
    const put = await fetch(fake.url + CURRENT, { method: "PUT", headers: { Authorization: `Bearer ${KEY}` } });
    expect(put.status).toBe(405);
    expect(await put.json()).toEqual({ message: "Method Not Allowed", statusCode: 405 });
    const unknown = await fetch(`${fake.url}/v2/something/else`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ message: "Cannot GET /v2/something/else", statusCode: 404 });
  });

  it("refuses a body over 32 MiB with 413", async () => {
    const res = await submit({ model: MODEL, prompt: "x", padding: "y".repeat(MAX_BODY_BYTES) }, { path: CURRENT });
    expect(res.status).toBe(413);
  });
});

describe("every model of the relay's catalogue", () => {
  const KLING = "klingai/v2.1-master-image-to-video";
  const VEO = "google/veo-3.1-t2v";
  const PNG = "data:image/png;base64,iVBORw0KGgo=";

  it.each([CURRENT, "/v2/generate/video/kling/generation", "/v2/generate/video/google/generation"])(
    "accepts another model's own body on %s, with the model in the task id, and keeps the exact body",
    async (path) => {
      const body = { model: KLING, prompt: uniquePrompt(), image_url: PNG, duration: 10 };
      const res = await submit(body, { path });
      expect(res.status, await res.clone().text()).toBe(201);
      const { id } = (await res.json()) as { id: string };
      expect(id.endsWith(`:${KLING}`)).toBe(true);
      const stats = await statsFor(`task=${encodeURIComponent(id)}`);
      expect(stats.bodiesByTask).toEqual({ [id]: body });
      expect(stats.submitsByPath[path]).toBeGreaterThanOrEqual(1);
    },
  );

  it("refuses per model, naming the field: a missing required field, a field the model does not take, an enum", async () => {
    const cases: [unknown, string][] = [
      [{ model: KLING, prompt: "hello" }, "image_url"],
      [{ model: VEO, prompt: "hello", image_url: PNG }, "image_url"],
      [{ model: VEO, prompt: "hello", resolution: "4k" }, "resolution"],
      [{ model: "no/such-model", prompt: "hello" }, "model"],
    ];
    for (const [body, field] of cases) {
      const res = await submit(body, { path: CURRENT });
      const json = (await res.json()) as { message: string; statusCode: number };
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(json.message).toContain(field);
    }
  });

  it("serves a model without a prompt field with the default scenario", async () => {
    const body = { model: "beeble/switchx-video-to-video", video_url: "https://media.example.com/clip.mp4" };
    const res = await submit(body, { path: CURRENT });
    expect(res.status, await res.clone().text()).toBe(201);
    const { id } = (await res.json()) as { id: string };
    expect(await videoUrlOf(id)).toMatch(/\/files\//);
  });

  it("names the task id generation_id with idfield=generation_id, and serves the video on succeeded", async () => {
    const prompt = uniquePrompt("idfield=generation_id steps=generating,succeeded");
    const res = await submit({ model: VEO, prompt }, { path: CURRENT });
    const created = (await res.json()) as Record<string, unknown>;
    expect(created).not.toHaveProperty("id");
    const id = String(created["generation_id"]);
    expect(id.endsWith(`:${VEO}`)).toBe(true);
    const first = (await (await poll(id, { path: CURRENT })).json()) as Record<string, unknown>;
    expect(first).toMatchObject({ generation_id: id, status: "generating", video: null });
    const second = (await (await poll(id, { path: CURRENT })).json()) as Record<string, unknown>;
    expect(second).toMatchObject({ generation_id: id, status: "succeeded", video: { url: expect.any(String) } });
  });
});

describe("submit faults", () => {
  it("answers the listed faults, then accepts", async () => {
    const prompt = uniquePrompt("submit=500,502,503,504,429,429:7,400,401,403,garbage,200");
    const body = { model: MODEL, prompt };
    for (const status of [500, 502, 503, 504, 429]) {
      const res = await submit(body);
      expect(res.status).toBe(status);
      expect(((await res.json()) as { statusCode: number }).statusCode).toBe(status);
    }
    const limited = await submit(body);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("7");
    await limited.body?.cancel();
    expect((await submit(body)).status).toBe(400);
    expect((await submit(body)).status).toBe(401);
    const credits = await submit(body);
    expect(credits.status).toBe(403);
    expect(((await credits.json()) as { message: string }).message).toMatch(/credit/i);
    const garbage = await submit(body);
    expect(garbage.status).toBe(200);
    expect(await garbage.text()).toBe("<html>oops");
    const ok200 = await submit(body);
    expect(ok200.status).toBe(200);
    expect(((await ok200.json()) as { status: string }).status).toBe("queued");
    const ok201 = await submit(body);
    expect(ok201.status).toBe(201);

    const stats = await statsFor(`prompt=${encodeURIComponent(prompt)}`);
    expect(stats.submits).toBe(12);
    expect(Object.keys(stats.pollsByTask)).toHaveLength(2); // the 200 and the 201 both created a task
    expect(fake.tasksForPrompt(prompt)).toHaveLength(2);
  });

  it("cut creates the task but breaks the connection", async () => {
    const prompt = uniquePrompt("submit=cut");
    await expect(submit({ model: MODEL, prompt })).rejects.toThrow();
    expect(fake.tasksForPrompt(prompt)).toHaveLength(1);
    const res = await submit({ model: MODEL, prompt });
    expect(res.status).toBe(201);
    expect(fake.tasksForPrompt(prompt)).toHaveLength(2);
  });

  it("hang never answers", async () => {
    const prompt = uniquePrompt("submit=hang");
    const started = Date.now();
    await expect(submit({ model: MODEL, prompt }, { timeoutMs: 300 })).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(fake.tasksForPrompt(prompt)).toHaveLength(0);
    expect((await submit({ model: MODEL, prompt })).status).toBe(201);
  });

  it("hang gives up after hangMs by dropping the socket", async () => {
    const quick = await startFakeAimlapi({ apiKey: KEY, hangMs: 200 });
    try {
      const res = fetch(`${quick.url}${LEGACY}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${KEY}` },
        body: JSON.stringify({ model: MODEL, prompt: "[[fake submit=hang]]" }),
        signal: AbortSignal.timeout(3000),
      });
      await expect(res).rejects.toThrow(/fetch failed/);
    } finally {
      await quick.close();
    }
  });
});

describe("poll behaviour", () => {
  it("follows custom steps, with unknown words and a repeating last step", async () => {
    const { id } = await create("steps=queued,mystery,generating");
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push((await pollJson(id)).status);
    expect(seen).toEqual(["queued", "mystery", "generating", "generating"]);
  });

  it.each([
    ["named", { name: "ContentPolicyError", message: "prompt rejected" }],
    ["detail", { detail: [{ loc: ["body", "prompt"], msg: "bad", type: "value_error" }] }],
    ["string", "generation failed"],
  ])("reports error=%s", async (shape, expected) => {
    const { id } = await create(`steps=active,error error=${shape}`);
    expect((await pollJson(id)).error).toBeNull();
    const body = await pollJson(id);
    expect(body.status).toBe("error");
    expect(body.video).toBeNull();
    expect(body.error).toEqual(expected);
  });

  it("reports failed with the default named error", async () => {
    const { id } = await create("steps=failed");
    const body = await pollJson(id);
    expect(body.status).toBe("failed");
    expect(body.error).toEqual({ name: "ContentPolicyError", message: "prompt rejected" });
  });

  it("answers poll faults before the steps advance", async () => {
    const { id } = await create("poll=500,502,503,504,429:3,garbage,empty,404,hang steps=generating,completed");
    for (const status of [500, 502, 503, 504]) {
      const res = await poll(id);
      expect(res.status).toBe(status);
      expect(((await res.json()) as { statusCode: number }).statusCode).toBe(status);
    }
    const limited = await poll(id);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("3");
    await limited.body?.cancel();
    const garbage = await poll(id);
    expect(garbage.status).toBe(200);
    expect(await garbage.text()).toBe("<html>oops");
    const empty = await poll(id);
    expect(empty.status).toBe(200);
    expect(await empty.text()).toBe("");
    expect((await poll(id)).status).toBe(404);
    await expect(poll(id, { timeoutMs: 300 })).rejects.toThrow();
    expect((await pollJson(id)).status).toBe("generating");
    expect((await pollJson(id)).status).toBe("completed");
    const stats = await statsFor(`task=${encodeURIComponent(id)}`);
    expect(stats.polls).toBe(11);
    expect(stats.pollsByTask).toEqual({ [id]: 11 });
  });

  it("slow delays every poll answer", async () => {
    const { id } = await create("slow=250 steps=completed");
    const started = Date.now();
    await pollJson(id);
    await pollJson(id);
    expect(Date.now() - started).toBeGreaterThanOrEqual(480);
  });
});

describe("download behaviour", () => {
  it("answers download faults, then serves", async () => {
    const { id } = await create("steps=completed download=500,404,cut,hang size=100000");
    const url = await videoUrlOf(id);
    const first = await fetch(url);
    expect(first.status).toBe(500);
    await first.body?.cancel();
    const second = await fetch(url);
    expect(second.status).toBe(404);
    await second.body?.cancel();

    const cut = await fetch(url);
    expect(cut.status).toBe(200);
    expect(cut.headers.get("content-length")).toBe("100000");
    await expect(cut.arrayBuffer()).rejects.toThrow();

    await expect(fetch(url, { signal: AbortSignal.timeout(300) })).rejects.toThrow();

    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(Buffer.from(await ok.arrayBuffer()).equals(expectedVideoBytes(100000))).toBe(true);
    const stats = await statsFor(`task=${encodeURIComponent(id)}`);
    expect(stats.downloads).toBe(5);
  });

  it("cut delivers exactly half the bytes before the socket dies", async () => {
    const { id } = await create("steps=completed download=cut size=300000");
    const res = await fetch(await videoUrlOf(id));
    const reader = res.body?.getReader();
    expect(reader).toBeDefined();
    let received = 0;
    let failed = false;
    try {
      for (;;) {
        const chunk = await reader?.read();
        if (chunk === undefined || chunk.done) break;
        received += chunk.value.length;
      }
    } catch {
      failed = true;
    }
    expect(failed).toBe(true);
    expect(received).toBe(150000);
  });

  it("length=none streams chunked without Content-Length", async () => {
    const { id } = await create("steps=completed length=none size=200003");
    const res = await fetch(await videoUrlOf(id));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBeNull();
    expect(res.headers.get("transfer-encoding")).toBe("chunked");
    expect(Buffer.from(await res.arrayBuffer()).equals(expectedVideoBytes(200003))).toBe(true);
  });

  it("size=N streams N deterministic bytes (large)", async () => {
    const size = 24 * 1024 * 1024 + 3;
    const { id } = await create(`steps=completed size=${size}`);
    const res = await fetch(await videoUrlOf(id));
    expect(res.headers.get("content-length")).toBe(String(size));
    const hash = createHash("sha256");
    let total = 0;
    const reader = res.body?.getReader();
    for (;;) {
      const chunk = await reader?.read();
      if (chunk === undefined || chunk.done) break;
      hash.update(chunk.value);
      total += chunk.value.length;
    }
    expect(total).toBe(size);
    expect(hash.digest("hex")).toBe(expectedVideoSha256(size));
  });

  it("generated bytes are deterministic per size and differ across sizes", () => {
    expect(expectedVideoBytes(4096).equals(expectedVideoBytes(4096))).toBe(true);
    expect(expectedVideoBytes(4096).subarray(0, 64).equals(expectedVideoBytes(4097).subarray(0, 64))).toBe(false);
    expect(expectedVideoBytes(1001, 3, 999).equals(expectedVideoBytes(1001).subarray(3, 999))).toBe(true);
  });

  it("answers HEAD with the headers only, without counting a download", async () => {
    const { id } = await create("steps=completed size=5000");
    const url = await videoUrlOf(id);
    const res = await fetch(url, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe("5000");
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect((await res.arrayBuffer()).byteLength).toBe(0);
    expect((await statsFor(`task=${encodeURIComponent(id)}`)).downloads).toBe(0);
  });

  it("unknown files are 404 and downloads never carry the API key", async () => {
    const res = await fetch(`${fake.url}/files/nope.mp4?Expires=1&Signature=x`);
    expect(res.status).toBe(404);
    await res.body?.cancel();
    expect((await statsFor("")).lastDownloadAuthorization).toBeNull();
  });
});

describe("stats and reset", () => {
  it("counts submits, polls and downloads", async () => {
    const before = fake.stats();
    const { id, prompt } = await create("steps=completed");
    const url = await videoUrlOf(id);
    await (await fetch(url)).arrayBuffer();
    const after = fake.stats();
    expect(after.submits - before.submits).toBe(1);
    expect(after.polls - before.polls).toBe(1);
    expect(after.downloads - before.downloads).toBe(1);
    expect(after.submitsByPrompt[prompt]).toBe(1);
    expect(after.pollsByTask[id]).toBe(1);
    expect(after.downloadsByTask[id]).toBe(1);
    expect(after.lastAuthorization).toBe(`Bearer ${KEY}`);

    const byPrompt = await statsFor(`prompt=${encodeURIComponent(prompt)}`);
    expect(byPrompt).toMatchObject({
      submits: 1,
      polls: 1,
      downloads: 1,
      submitsByPrompt: { [prompt]: 1 },
      pollsByTask: { [id]: 1 },
      downloadsByTask: { [id]: 1 },
    });
  });

  it("reset clears counters and replays submit faults, but keeps tasks", async () => {
    const quick = await startFakeAimlapi({ apiKey: KEY });
    try {
      const send = (): Promise<Response> =>
        fetch(`${quick.url}${CURRENT}`, {
          method: "POST",
          headers: { Authorization: `Bearer ${KEY}` },
          body: JSON.stringify({ model: MODEL, prompt: "x [[fake submit=503]]" }),
        });
      expect((await send()).status).toBe(503);
      const created = (await (await send()).json()) as { id: string };
      expect(quick.stats().submits).toBe(2);
      const reset = await fetch(`${quick.url}/__reset`, { method: "POST" });
      expect(reset.status).toBe(200);
      expect(quick.stats().submits).toBe(0);
      expect((await send()).status).toBe(503);
      const res = await fetch(`${quick.url}${CURRENT}?generation_id=${encodeURIComponent(created.id)}`, {
        headers: { Authorization: `Bearer ${KEY}` },
      });
      expect(res.status).toBe(200);
      quick.reset();
      expect(quick.stats()).toMatchObject({ submits: 0, polls: 0, downloads: 0, lastAuthorization: null });
    } finally {
      await quick.close();
    }
  });
});

describe("command line", () => {
  it("starts with --port and --key and prints its URL", async () => {
    const node = process.execPath;
    const child = spawn(node, [FAKE_FILE, "--port", "0", "--key", "cli-key"], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        const timer = setTimeout(() => reject(new Error("no URL printed")), 10_000);
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          const line = out.split("\n")[0];
          if (out.includes("\n") && line !== undefined) {
            clearTimeout(timer);
            resolve(line.trim());
          }
        });
        child.once("exit", (code) => reject(new Error(`exited ${code}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${url}${LEGACY}`, {
        method: "POST",
        headers: { Authorization: "Bearer cli-key" },
        body: JSON.stringify({ model: MODEL, prompt: "hello" }),
      });
      expect(res.status).toBe(201);
    } finally {
      child.kill("SIGTERM");
    }
  });
});
