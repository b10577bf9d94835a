/**
 * The generation Durable Object in workerd, against the real local fake
 * upstream: alarms stepped with runDurableObjectAlarm, R2 contents checked.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it, vi } from "vitest";
import type { GenerationObject } from "../../src/generation/object.ts";
import type { GenerationState } from "../../src/generation/state.ts";
import {
  alarmOf,
  call,
  create,
  editState,
  get,
  isStatus,
  rememberAlarmAt,
  settle,
  stateOf,
  storeOf,
  stepUntil,
  streamSha256,
  stubOf,
  timeline,
  uniquePrompt,
  upstreamStats,
} from "./helpers.ts";

const finished = isStatus("completed", "failed", "canceled");

async function r2Sha256(key: string): Promise<{ sha256: string; bytes: number }> {
  const object = await env.VIDEOS.get(key);
  if (!object) throw new Error(`no R2 object at ${key}`);
  return streamSha256(object.body);
}

/** Hashes what the upstream serves at the completed task's video link. */
async function upstreamVideoSha256(state: GenerationState): Promise<{ sha256: string; bytes: number }> {
  if (!state.download.url) throw new Error("no video url");
  const response = await fetch(state.download.url);
  if (!response.body) throw new Error("no body");
  return streamSha256(response.body);
}

describe("the happy path", () => {
  it("submits once, polls through the upstream's statuses and stores the video in R2 byte for byte", async () => {
    const prompt = uniquePrompt();
    const created = await create({ prompt, resolution: "1080p" });
    const state = await stepUntil(created.id, finished);
    expect(state.status).toBe("completed");
    expect(state.upstream.polls).toBe(5); // queued, waiting, active, generating, completed
    const stored = await r2Sha256(`videos/${created.id}.mp4`);
    expect(stored).toEqual({ sha256: state.video?.sha256, bytes: state.video?.bytes });
    expect(stored).toEqual(await upstreamVideoSha256(state));
    const stats = await upstreamStats({ prompt });
    expect(stats.submits).toBe(1);
  });

  it("walks queued → generating → storing → completed, recorded in the timeline and visible in GET", async () => {
    const created = await create({ prompt: uniquePrompt("steps=queued,generating,completed") });
    const seen: string[] = [];
    await stepUntil(created.id, (state) => {
      if (seen.at(-1) !== state.status) seen.push(state.status);
      return finished(state);
    });
    // The copy runs in the alarm whose poll found the video, so `storing`
    // lasts as long as the copy: the timeline and the snapshots record it.
    expect(seen).toEqual(["queued", "generating", "completed"]);
    const events = await timeline(created.id);
    const changes = events.filter((event) => event.type === "status.changed").map((event) => event.detail.to);
    expect(changes).toEqual(["generating", "storing", "completed"]);
    const types = events.map((event) => event.type);
    expect(types.indexOf("storage.started")).toBeGreaterThan(types.lastIndexOf("upstream.status"));
    expect(types).toContain("storage.stored");
    const snapshots = await runInDurableObject(stubOf(created.id), (_instance: GenerationObject, ctx) =>
      ctx.storage.sql
        .exec<{ generation: string }>("SELECT generation FROM snapshots ORDER BY seq")
        .toArray()
        .map((row) => (JSON.parse(row.generation) as { status: string }).status),
    );
    expect(snapshots).toEqual(["queued", "generating", "storing", "completed"]);
    const generation = await get(created.id);
    expect(generation.completed_at).not.toBeNull();
    expect(generation.video?.url).toMatch(
      new RegExp(`^https://relay\\.example/v1/generations/${created.id}/video\\?expires=\\d+&signature=`),
    );
  });

  it("sends the upstream the key and the body, and never the key to the video link", async () => {
    const prompt = uniquePrompt();
    const created = await create({ prompt, seed: 7, negative_prompt: "blur" });
    const state = await stepUntil(created.id, finished);
    expect(state.status).toBe("completed");
    const stats = await upstreamStats({ prompt });
    expect(stats.lastAuthorization).toBe("Bearer test-upstream-key");
    expect(stats.lastDownloadAuthorization).toBeNull();
  });

  it("never calls the upstream to answer GET", async () => {
    const prompt = uniquePrompt("steps=generating");
    const created = await create({ prompt });
    await stepUntil(created.id, (state) => state.upstream.polls === 2);
    const before = await upstreamStats({ prompt });
    for (let i = 0; i < 5; i++) await get(created.id);
    expect(await upstreamStats({ prompt })).toEqual(before);
  });
});

describe("submission faults", () => {
  it("retries a submission answered with 5xx or 429, and submits exactly once successfully", async () => {
    const prompt = uniquePrompt("submit=500,429:1,503");
    const created = await create({ prompt });
    const state = await stepUntil(created.id, finished);
    expect(state.status).toBe("completed");
    expect(state.submit.attempts).toBe(4);
    const types = (await timeline(created.id)).map((event) => event.type);
    expect(types.filter((type) => type === "upstream.submit_retry")).toHaveLength(3);
  });

  it("fails with submit_uncertain, and never submits again, when the connection breaks after sending", async () => {
    const prompt = uniquePrompt("submit=cut");
    const created = await create({ prompt });
    const state = await stepUntil(created.id, finished);
    expect(state.error?.code).toBe("submit_uncertain");
    await runDurableObjectAlarm(stubOf(created.id));
    expect((await upstreamStats({ prompt })).submits).toBe(1);
  });

  it("fails with submit_uncertain when the upstream answers 2xx without a task id", async () => {
    const created = await create({ prompt: uniquePrompt("submit=garbage") });
    const state = await stepUntil(created.id, finished);
    expect(state.error?.code).toBe("submit_uncertain");
  });

  it.each([
    ["400", 400],
    ["401", 401],
    ["403", 403],
  ])("fails with upstream_rejected on %s", async (fault, status) => {
    const created = await create({ prompt: uniquePrompt(`submit=${fault}`) });
    const state = await stepUntil(created.id, finished);
    expect(state.error?.code).toBe("upstream_rejected");
    expect(state.error?.message).toContain(`HTTP ${status}`);
  });

  it("fails with submit_uncertain when an alarm finds a submission the runtime never finished", async () => {
    const prompt = uniquePrompt();
    const created = await create({ prompt });
    const id = created.id;
    // Recreate the state a crash leaves behind: inFlight persisted, no answer recorded.
    await settle(id);
    await editState(id, (state) => ({
      ...state,
      upstream: { ...state.upstream, id: null },
      submit: { attempts: 1, inFlight: true },
      nextActionAt: 0,
    }));
    await runDurableObjectAlarm(stubOf(id));
    const state = await stateOf(id);
    expect(state?.error?.code).toBe("submit_uncertain");
    expect((await upstreamStats({ prompt })).submits).toBe(1);
  });
});

describe("polling faults", () => {
  it("records 5xx, 429, garbage and empty answers and keeps polling to completion", async () => {
    const created = await create({
      prompt: uniquePrompt("poll=500,garbage,429:1,empty,504 steps=generating,completed"),
    });
    const state = await stepUntil(created.id, finished);
    expect(state.status).toBe("completed");
    const failures = (await timeline(created.id)).filter((event) => event.type === "upstream.poll_failed");
    expect(failures.map((event) => String(event.detail.reason))).toEqual([
      expect.stringContaining("HTTP 500"),
      "answer is not a status object",
      expect.stringContaining("HTTP 429"),
      "answer is not a status object",
      expect.stringContaining("HTTP 504"),
    ]);
  });

  it("waits the upstream's Retry-After when it is longer than the poll interval", async () => {
    const created = await create({ prompt: uniquePrompt("poll=429:90") });
    const state = await stepUntil(created.id, (s) => s.failures === 1);
    expect((state.nextActionAt ?? 0) - state.updatedAt).toBe(90_000);
  });

  it("fails with upstream_lost when the upstream answers 404 for the task", async () => {
    const created = await create({ prompt: uniquePrompt("poll=404") });
    const state = await stepUntil(created.id, finished);
    expect(state.error?.code).toBe("upstream_lost");
  });

  it.each([
    ["named", "ContentPolicyError: prompt rejected"],
    ["detail", "body.prompt: bad"],
    ["string", "generation failed"],
  ])("fails with upstream_error and a readable message for the %s error shape", async (shape, message) => {
    const created = await create({ prompt: uniquePrompt(`steps=queued,generating,error error=${shape}`) });
    const state = await stepUntil(created.id, finished);
    expect(state.error).toEqual({ code: "upstream_error", message });
    expect((await get(created.id)).error).toEqual({ code: "upstream_error", message });
  });

  it("treats an unknown status word as still running", async () => {
    const created = await create({ prompt: uniquePrompt("steps=queued,pondering,pondering,completed") });
    const state = await stepUntil(created.id, finished);
    expect(state.status).toBe("completed");
  });
});

describe("storing faults", () => {
  it("retries a download cut mid-way and a 500, never storing a truncated file", async () => {
    const created = await create({ prompt: uniquePrompt("download=cut,500,cut") });
    const state = await stepUntil(created.id, finished);
    expect(state.status).toBe("completed");
    expect(state.download.attempts).toBe(3);
    expect(await r2Sha256(`videos/${created.id}.mp4`)).toEqual(await upstreamVideoSha256(state));
    const failed = (await timeline(created.id)).filter((event) => event.type === "storage.failed");
    expect(failed).toHaveLength(3);
  });

  it("copies a video served without Content-Length through a multipart upload", async () => {
    const size = 20 * 1024 * 1024 + 12345;
    const created = await create({ prompt: uniquePrompt(`length=none size=${size}`) });
    const state = await stepUntil(created.id, finished);
    expect(state.status).toBe("completed");
    expect(state.video?.bytes).toBe(size);
    const stored = await r2Sha256(`videos/${created.id}.mp4`);
    expect(stored).toEqual({ sha256: state.video?.sha256, bytes: size });
    expect(stored).toEqual(await upstreamVideoSha256(state));
  });
});

describe("cancel and restarts", () => {
  it("after a cancel, only polls the task already running upstream until it ends: no copy, no new submission", async () => {
    const prompt = uniquePrompt("steps=generating,generating,completed");
    const created = await create({ prompt });
    await stepUntil(created.id, (state) => state.upstream.polls === 2);
    const response = await call(`/v1/generations/${created.id}`, { method: "DELETE" });
    expect(response.status).toBe(200);
    expect((await response.json<{ status: string }>()).status).toBe("canceled");
    // Its paid task runs on upstream: it is polled (silently) until it ends, to hold the slot and count its credits.
    const ended = await stepUntil(created.id, (state) => state.upstream.task === "ended");
    expect(ended.status).toBe("canceled");
    expect(ended.video).toBeNull();
    const stats = await upstreamStats({ prompt });
    expect(stats).toMatchObject({ submits: 1, polls: 3, downloads: 0 });
    // Then nothing is left to do.
    expect(await runDurableObjectAlarm(stubOf(created.id))).toBe(false);
    expect((await upstreamStats({ prompt })).polls).toBe(3);
  });

  it("keeps a cancel that arrives while the alarm awaits a poll", async () => {
    const created = await create({ prompt: uniquePrompt("slow=400 steps=generating,completed") });
    await stepUntil(created.id, (state) => state.upstream.polls === 1);
    // The input gate opens while the alarm awaits the slow poll: cancel then.
    const alarm = runDurableObjectAlarm(stubOf(created.id));
    await new Promise((resolve) => setTimeout(resolve, 150));
    const canceled = await call(`/v1/generations/${created.id}`, { method: "DELETE" });
    expect(canceled.status).toBe(200);
    await alarm;
    const state = await stateOf(created.id);
    expect(state?.status).toBe("canceled");
    expect(state?.video).toBeNull();
  });

  // A real runtime restart (wrangler dev stopped and started mid-generation)
  // is in test/node/e2e.test.ts: evictDurableObject waits for in-flight work
  // that a stepped alarm never finishes, and abortAllDurableObjects would
  // reach into other test files' objects.

  it("overwrites rather than duplicates when a copy is repeated", async () => {
    const created = await create({ prompt: uniquePrompt() });
    const state = await stepUntil(created.id, finished);
    const listed = await env.VIDEOS.list({ prefix: `videos/${created.id}` });
    expect(listed.objects.map((object) => object.key)).toEqual([`videos/${created.id}.mp4`]);
    expect(state.video?.key).toBe(`videos/${created.id}.mp4`);
  });
});

describe("the alarm", () => {
  it("runs an alarm delivered while another runs after it: one poll at a time, and the next alarm stays set", async () => {
    const prompt = uniquePrompt("slow=300 steps=generating");
    const created = await create({ prompt });
    await stepUntil(created.id, (state) => state.upstream.polls === 1);
    const stub = stubOf(created.id);
    // The runtime may deliver an alarm while one awaits the upstream: call alarm() twice, overlapping.
    const finished: string[] = [];
    const deliver = (name: string) =>
      runInDurableObject(stub, (instance: GenerationObject) => instance.alarm()).then(() => finished.push(name));
    const first = deliver("first");
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = deliver("second");
    await Promise.all([first, second]);
    // The second waited for the first rather than returning at once with nothing scheduled.
    expect(finished).toEqual(["first", "second"]);
    const state = await stateOf(created.id);
    expect(state?.upstream.polls).toBe(2);
    expect((await upstreamStats({ prompt })).polls).toBe(2);
    expect(await alarmOf(created.id)).toBe(state?.nextActionAt);
    expect((await stepUntil(created.id, (s) => s.upstream.polls === 3)).status).toBe("generating");
  });

  it("copies the video and starts the webhook in the run whose poll found it, when that run starts on time", async () => {
    // Each poll answer takes 50 ms: the copy and the webhook become due after the time the alarm was set for.
    const hook = `${inject("receiverUrl")}/hook/on-time-${crypto.randomUUID()}/200`;
    const created = await create({ prompt: uniquePrompt("slow=50 steps=completed"), webhook_url: hook });
    await settle(created.id);
    const dueAt = Date.now();
    await editState(created.id, (state) => ({ ...state, nextActionAt: dueAt }));
    // One delivery, on time: the alarm set for the poll, run when it was due.
    const alarms = (instance: GenerationObject): number => storeOf(instance).meter.snapshot().alarms;
    const { before, after } = await runInDurableObject(stubOf(created.id), async (instance: GenerationObject) => {
      rememberAlarmAt(instance, dueAt);
      const before = alarms(instance);
      await instance.alarm();
      return { before, after: alarms(instance) };
    });
    expect(after).toBe(before + 1);
    const state = await stateOf(created.id);
    expect(state?.upstream.polls).toBe(1);
    expect(state?.status).toBe("completed");
    expect(state?.video?.bytes).toBeGreaterThan(0);
    // The webhook went out from that run: delivered with no other alarm run.
    await vi.waitFor(async () => expect((await get(created.id)).webhook?.state).toBe("delivered"), {
      timeout: 10_000,
      interval: 25,
    });
    expect(await runInDurableObject(stubOf(created.id), alarms)).toBe(after);
  });

  it("still sets the next alarm when a run throws", async () => {
    const created = await create({ prompt: uniquePrompt("steps=generating") });
    await stepUntil(created.id, (state) => state.upstream.polls === 1);
    const stub = stubOf(created.id);
    // A state the reducer cannot read (a bug, not an outcome) makes the run throw.
    const edit = (change: (state: GenerationState) => unknown) => editState(created.id, change);
    const submit = (await stateOf(created.id))?.submit;
    await edit((state) => ({ ...state, submit: null }));
    const before = Date.now();
    await expect(runDurableObjectAlarm(stub)).rejects.toThrow();
    const alarm = await alarmOf(created.id);
    // Set again, and no sooner than a poll interval (30 s here), so a bug cannot spin.
    expect(alarm).toBeGreaterThanOrEqual(before + 30_000);
    await edit((state) => ({ ...state, submit: submit ?? { attempts: 1, inFlight: false } }));
    expect((await stepUntil(created.id, (state) => state.upstream.polls === 2)).status).toBe("generating");
  });
});

describe("the timeline", () => {
  it("pages oldest first, and the pages joined are the whole timeline", async () => {
    const created = await create({ prompt: uniquePrompt("poll=500 steps=queued,generating,completed") });
    await stepUntil(created.id, finished);
    const stub = stubOf(created.id);
    const whole = await stub.events("alice", { limit: 1000, cursor: null });
    expect(whole?.nextCursor).toBeNull();
    const all = whole?.data ?? [];
    expect(all.length).toBeGreaterThan(7);
    expect(all[0]?.type).toBe("generation.created");
    const joined: typeof all = [];
    let cursor: number | null = null;
    let pages = 0;
    do {
      const page = await stub.events("alice", { limit: 3, cursor });
      if (!page) throw new Error("not found");
      expect(page.data.length).toBe(page.nextCursor === null ? all.length - joined.length : 3);
      joined.push(...page.data);
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null);
    expect(joined).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 3));
    expect(await stub.events("bob", { limit: 3, cursor: null })).toBeNull();
  });
});

describe("copyVideoToR2", () => {
  it.each([
    ["with Content-Length", 5000],
    ["without Content-Length", null],
  ])("gives up a download that stalls (%s), storing nothing", async (_name, contentLength) => {
    const { copyVideoToR2 } = await import("../../src/storage/copy-to-r2.ts");
    const key = `videos/stalled-${crypto.randomUUID()}.mp4`;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(1000));
        // ...and nothing more, ever.
      },
    });
    await expect(
      copyVideoToR2(env.VIDEOS, key, { body, contentLength, contentType: null }, { idleTimeoutMs: 200 }),
    ).rejects.toThrow(/no bytes for 200 ms/);
    expect(await env.VIDEOS.head(key)).toBeNull();
  });

  /** A byte stream (as a fetch body is) of `chunks`, then its end. */
  const byteStream = (chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> => {
    let next = 0;
    return new ReadableStream({
      type: "bytes",
      pull(controller) {
        const chunk = chunks[next++];
        if (chunk === undefined) controller.close();
        else controller.enqueue(chunk.slice());
      },
    });
  };
  const bytesOf = (length: number, seed: number): Uint8Array =>
    Uint8Array.from({ length }, (_, i) => (i * 31 + seed) % 251);

  it.each([
    ["with Content-Length", 300_000, 300_000],
    ["without Content-Length", 300_000, null],
  ])("stores a video (%s) byte for byte, with its size and sha256", async (_name, length, contentLength) => {
    const { copyVideoToR2 } = await import("../../src/storage/copy-to-r2.ts");
    const video = bytesOf(length, 7);
    const chunks = Array.from({ length: Math.ceil(length / 50_000) }, (_, i) =>
      video.subarray(i * 50_000, (i + 1) * 50_000),
    );
    const key = `videos/copied-${crypto.randomUUID()}.mp4`;
    const copied = await copyVideoToR2(env.VIDEOS, key, { body: byteStream(chunks), contentLength, contentType: null });
    expect(copied).toEqual({ bytes: length, sha256: (await streamSha256(byteStream([video]))).sha256 });
    const stored = await env.VIDEOS.get(key);
    expect(stored?.httpMetadata?.contentType).toBe("video/mp4");
    expect(new Uint8Array((await stored?.arrayBuffer()) ?? new ArrayBuffer(0))).toEqual(video);
  });

  it.each([
    ["ends short of its Content-Length", [bytesOf(1000, 1), bytesOf(3000, 2)], /copy cut after 4000 bytes/],
    ["runs past its Content-Length", [bytesOf(3000, 1), bytesOf(3000, 2)], /too many bytes/],
  ])("gives up a video whose body %s, storing nothing", async (_name, chunks, message) => {
    const { copyVideoToR2 } = await import("../../src/storage/copy-to-r2.ts");
    const key = `videos/refused-${crypto.randomUUID()}.mp4`;
    await expect(
      copyVideoToR2(env.VIDEOS, key, { body: byteStream(chunks), contentLength: 5000, contentType: null }),
    ).rejects.toThrow(message);
    expect(await env.VIDEOS.head(key)).toBeNull();
  });
});
