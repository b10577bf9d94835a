/**
 * The AI/ML API adapter against a real local HTTP server that behaves like
 * the upstream, including its failures (test/support/fake-aimlapi.ts).
 */
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { readConfig } from "../../src/config.ts";
import { createAimlapiClient } from "../../src/upstream/aimlapi/client.ts";
import { adapterFor, createUpstream } from "../../src/upstream/index.ts";
import { TEST_UPSTREAM_KEY } from "../support/constants.ts";
import { streamSha256, uniquePrompt, upstreamStats } from "./helpers.ts";

const client = (
  options: { apiKey?: string; requestTimeoutMs?: number; submitTimeoutMs?: number; baseUrl?: string } = {},
) =>
  createAimlapiClient({
    baseUrl: options.baseUrl ?? inject("upstreamUrl"),
    apiKey: options.apiKey ?? TEST_UPSTREAM_KEY,
    requestTimeoutMs: options.requestTimeoutMs,
    submitTimeoutMs: options.submitTimeoutMs,
  });

const input = (directives = "") => ({
  model: "alibaba/wan2.5-t2v-preview",
  prompt: uniquePrompt(directives),
  resolution: "720p",
  aspect_ratio: "16:9",
  enable_prompt_expansion: true,
});

async function acceptedId(directives = ""): Promise<string> {
  const outcome = await client().submit(input(directives));
  if (outcome.kind !== "accepted") throw new Error(`not accepted: ${JSON.stringify(outcome)}`);
  return outcome.upstreamId;
}

describe("submit", () => {
  it("returns the task id, sending the key as a bearer token", async () => {
    const body = input();
    const outcome = await client().submit(body);
    expect(outcome).toEqual({
      kind: "accepted",
      credits: 1_050_000,
      upstreamId: expect.stringMatching(/^[0-9a-f-]{36}:alibaba\/wan2\.5-t2v-preview$/),
    });
    expect((await upstreamStats({ prompt: body.prompt })).lastAuthorization).toBe(`Bearer ${TEST_UPSTREAM_KEY}`);
  });

  it("accepts an HTTP 200 answer as well as 201", async () => {
    expect((await client().submit(input("submit=200"))).kind).toBe("accepted");
  });

  it("is rejected with 401 for a wrong key", async () => {
    const outcome = await client({ apiKey: "wrong" }).submit(input());
    expect(outcome).toMatchObject({ kind: "rejected", httpStatus: 401 });
  });

  it.each([
    ["400", 400],
    ["403", 403],
  ])("is rejected for good on %s, keeping the upstream's message", async (fault, status) => {
    const outcome = await client().submit(input(`submit=${fault}`));
    expect(outcome).toMatchObject({ kind: "rejected", httpStatus: status });
    if (outcome.kind === "rejected") expect(outcome.reason.length).toBeGreaterThan(0);
  });

  it("reports the upstream's 400 message naming the field", async () => {
    const outcome = await client().submit({ ...input(), prompt: "" });
    expect(outcome).toMatchObject({ kind: "rejected", httpStatus: 400, reason: expect.stringContaining("prompt") });
  });

  it.each(["500", "502", "503", "504"])("may be sent again after a %s", async (fault) => {
    expect(await client().submit(input(`submit=${fault}`))).toMatchObject({
      kind: "retryable",
      reason: expect.stringContaining(`HTTP ${fault}`),
    });
  });

  it("carries Retry-After from a 429", async () => {
    expect(await client().submit(input("submit=429:7"))).toMatchObject({ kind: "retryable", retryAfterMs: 7000 });
  });

  it("is uncertain when the connection breaks after the request was sent", async () => {
    expect((await client().submit(input("submit=cut"))).kind).toBe("uncertain");
  });

  it("is uncertain when a 2xx answer is not JSON", async () => {
    expect((await client().submit(input("submit=garbage"))).kind).toBe("uncertain");
  });

  it("is uncertain when the upstream does not answer within the submission timeout", async () => {
    expect(await client({ submitTimeoutMs: 300 }).submit(input("submit=hang"))).toMatchObject({ kind: "uncertain" });
  });

  it("waits for a submission's answer past the poll timeout", async () => {
    // The answer comes 400 ms after the request: later than a poll may take, within the submission's time.
    const late: typeof fetch = async (request, init) => {
      await scheduler.wait(400);
      return fetch(request, init);
    };
    const slow = createAimlapiClient({
      baseUrl: inject("upstreamUrl"),
      apiKey: TEST_UPSTREAM_KEY,
      fetch: late,
      requestTimeoutMs: 100,
      submitTimeoutMs: 5_000,
    });
    expect(await slow.submit(input())).toMatchObject({ kind: "accepted" });
    expect(await slow.poll("any-id")).toMatchObject({ kind: "retryable" });
  });

  it("is uncertain when nothing listens at the base URL", async () => {
    const offline = createAimlapiClient({ baseUrl: "http://127.0.0.1:9", apiKey: "k" });
    expect((await offline.submit(input())).kind).toBe("uncertain");
  });
});

describe("the universal endpoint", () => {
  /** The real fetch, recording each URL it is asked for (the fake upstream still answers). */
  function recording(): { urls: string[]; fetch: typeof fetch } {
    const urls: string[] = [];
    return {
      urls,
      fetch: (request, init) => {
        urls.push(request instanceof Request ? request.url : String(request));
        return fetch(request, init);
      },
    };
  }

  it("submits and polls on /v2/video/generations with the task id URL-encoded", async () => {
    const { urls, fetch: recordingFetch } = recording();
    const upstream = createAimlapiClient({
      baseUrl: inject("upstreamUrl"),
      apiKey: TEST_UPSTREAM_KEY,
      fetch: recordingFetch,
    });
    const outcome = await upstream.submit({ model: "google/veo-3.1-t2v", prompt: uniquePrompt(), duration: 4 });
    if (outcome.kind !== "accepted") throw new Error(JSON.stringify(outcome));
    expect(outcome.upstreamId).toMatch(/:google\/veo-3\.1-t2v$/);
    expect((await upstream.poll(outcome.upstreamId)).kind).toBe("status");
    const base = inject("upstreamUrl");
    expect(urls).toEqual([
      `${base}/v2/video/generations`,
      `${base}/v2/video/generations?generation_id=${outcome.upstreamId.replace(":", "%3A").replace(/\//g, "%2F")}`,
    ]);
  });

  it("reads the task id from generation_id when the answer has no id, on submit and poll", async () => {
    const body = input("idfield=generation_id steps=succeeded");
    const outcome = await client().submit(body);
    if (outcome.kind !== "accepted") throw new Error(JSON.stringify(outcome));
    expect(outcome.upstreamId).toMatch(/^[0-9a-f-]{36}:alibaba\/wan2\.5-t2v-preview$/);
    const polled = await client().poll(outcome.upstreamId);
    expect(polled).toMatchObject({
      kind: "status",
      state: "completed",
      word: "succeeded",
      videoUrl: expect.stringContaining("/files/"),
    });
  });

  it("sends any model's body as given", async () => {
    const body = { model: "runway/gen4_turbo", image_url: "https://media.example.com/a.png", seed: 4294967295 };
    const outcome = await client().submit(body);
    if (outcome.kind !== "accepted") throw new Error(JSON.stringify(outcome));
    expect((await upstreamStats({ task: outcome.upstreamId })).bodiesByTask[outcome.upstreamId]).toEqual(body);
  });
});

describe("poll", () => {
  it("reports the upstream's status words in order, then the video URL", async () => {
    const id = await acceptedId("steps=queued,waiting,active,generating,completed");
    const seen: string[] = [];
    let videoUrl: string | null = null;
    for (let i = 0; i < 5; i++) {
      const outcome = await client().poll(id);
      if (outcome.kind !== "status") throw new Error(JSON.stringify(outcome));
      seen.push(outcome.word);
      videoUrl = outcome.videoUrl;
    }
    expect(seen).toEqual(["queued", "waiting", "active", "generating", "completed"]);
    expect(videoUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\/.+\.mp4\?/);
  });

  it("reports a failed task in the relay's words, with the upstream's error as a message", async () => {
    const id = await acceptedId("steps=failed error=detail");
    const outcome = await client().poll(id);
    expect(outcome).toMatchObject({ kind: "status", state: "failed", word: "failed" });
    expect(outcome.kind === "status" ? outcome.failure : null).toContain("bad");
  });

  it.each(["500", "503", "garbage", "empty"])("asks again later after %s", async (fault) => {
    const id = await acceptedId(`poll=${fault}`);
    expect((await client().poll(id)).kind).toBe("retryable");
    expect((await client().poll(id)).kind).toBe("status");
  });

  it("carries Retry-After from a 429", async () => {
    const id = await acceptedId("poll=429:3");
    expect(await client().poll(id)).toMatchObject({ kind: "retryable", retryAfterMs: 3000 });
  });

  it("asks again later when the answer is slower than the timeout", async () => {
    const id = await acceptedId("slow=1000");
    expect(await client({ requestTimeoutMs: 200 }).poll(id)).toMatchObject({
      kind: "retryable",
      reason: expect.stringContaining("network error"),
    });
  });

  it("reports a task the upstream does not know as lost", async () => {
    expect((await client().poll("00000000-0000-0000-0000-000000000000:alibaba/wan2.5-t2v-preview")).kind).toBe("lost");
  });
});

describe("download", () => {
  async function videoUrlFor(directives: string): Promise<string> {
    const id = await acceptedId(`steps=completed ${directives}`);
    const outcome = await client().poll(id);
    if (outcome.kind !== "status" || outcome.videoUrl === null) throw new Error(JSON.stringify(outcome));
    return outcome.videoUrl;
  }

  it("streams the video with its Content-Length", async () => {
    const outcome = await client().download(await videoUrlFor("size=300000"));
    if (outcome.kind !== "ok") throw new Error(JSON.stringify(outcome));
    expect(outcome.download.contentLength).toBe(300000);
    expect((await streamSha256(outcome.download.body)).bytes).toBe(300000);
  });

  it("reports a missing Content-Length as null", async () => {
    const outcome = await client().download(await videoUrlFor("size=100000 length=none"));
    if (outcome.kind !== "ok") throw new Error(JSON.stringify(outcome));
    expect(outcome.download.contentLength).toBeNull();
    expect((await streamSha256(outcome.download.body)).bytes).toBe(100000);
  });

  it("fails on an HTTP error from the video link", async () => {
    expect(await client().download(await videoUrlFor("download=500"))).toMatchObject({
      kind: "failed",
      reason: expect.stringContaining("HTTP 500"),
    });
  });

  it("fetches only https video links when the API itself is reached over https", async () => {
    const task = await acceptedId("steps=completed size=1000");
    const polled = await client().poll(task);
    if (polled.kind !== "status" || polled.videoUrl === null) throw new Error(JSON.stringify(polled));
    const url = polled.videoUrl;
    const before = (await upstreamStats({ task })).downloads;
    // The same http link, handed out by an API on https, is refused for good without a request.
    const secure = client({ baseUrl: "https://api.aimlapi.invalid" });
    expect(await secure.download(url)).toEqual({
      kind: "failed",
      reason: "refused a video link that is not https (http:)",
      permanent: true,
    });
    expect((await upstreamStats({ task })).downloads).toBe(before);
    // A local test upstream on http may hand out http links; never another scheme.
    expect((await client().download(url)).kind).toBe("ok");
    expect(await client().download("ftp://127.0.0.1/video.mp4")).toMatchObject({ kind: "failed", permanent: true });
    expect(await client().download("not a url")).toMatchObject({ kind: "failed", permanent: true });
  });

  it("hands over a body that errors when the connection is cut mid-way", async () => {
    const outcome = await client().download(await videoUrlFor("size=400000 download=cut"));
    if (outcome.kind !== "ok") throw new Error(JSON.stringify(outcome));
    await expect(streamSha256(outcome.download.body)).rejects.toThrow();
  });
});

describe("a missing key", () => {
  const noKey = { ...readConfig(env), aimlapiKey: null };

  it("sends new generations to the simulator", () => {
    expect(adapterFor(noKey)).toBe("simulator");
    expect(adapterFor(readConfig(env))).toBe("aimlapi");
  });

  it("keeps an aimlapi generation with the AI/ML API, waiting: submit and poll answer retryable and send nothing", async () => {
    const upstream = createUpstream("aimlapi", noKey, env.ASSETS);
    expect(upstream.name).toBe("aimlapi");
    const body = input();
    const submitted = await upstream.submit(body);
    expect(submitted).toEqual({ kind: "retryable", reason: expect.stringContaining("AIMLAPI_KEY is not set") });
    expect((await upstreamStats({ prompt: body.prompt })).submits).toBe(0);
    const id = await acceptedId();
    expect(await upstream.poll(id)).toEqual({
      kind: "retryable",
      reason: expect.stringContaining("AIMLAPI_KEY is not set"),
    });
    expect((await upstreamStats({ task: id })).polls).toBe(0);
    // With the key back, the same task answers again.
    expect((await createUpstream("aimlapi", readConfig(env), env.ASSETS).poll(id)).kind).toBe("status");
  });

  it("still downloads a finished video: the link needs no key", async () => {
    const id = await acceptedId("steps=completed size=2000");
    const polled = await client().poll(id);
    if (polled.kind !== "status" || polled.videoUrl === null) throw new Error(JSON.stringify(polled));
    const outcome = await createUpstream("aimlapi", noKey, env.ASSETS).download(polled.videoUrl);
    if (outcome.kind !== "ok") throw new Error(JSON.stringify(outcome));
    expect((await streamSha256(outcome.download.body)).bytes).toBe(2000);
  });
});
