/**
 * End to end on a real local Cloudflare runtime: the relay runs under
 * `wrangler dev` (workerd, Durable Objects, real alarms, local R2) with
 * POLL_INTERVAL_SECONDS below 1, against the local fake upstream and the
 * local webhook receiver.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Generation } from "../../src/api/schemas.ts";
import { REPO_ROOT, startRelay, testRelayVars, type RelayProcess } from "../support/relay-process.ts";
import { TEST_CLIENT_KEYS, TEST_RELAY_API_KEYS } from "../support/constants.ts";

const SAMPLE = readFileSync(`${REPO_ROOT}/public/simulator/sample.mp4`);
const auth = { Authorization: `Bearer ${TEST_CLIENT_KEYS.alice}` };

async function createGeneration(relay: RelayProcess, body: Record<string, unknown>): Promise<Generation> {
  const response = await fetch(`${relay.url}/v1/generations`, {
    method: "POST",
    headers: { ...auth, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status, await response.clone().text()).toBe(202);
  return (await response.json()) as Generation;
}

async function waitForTerminal(relay: RelayProcess, id: string, timeoutMs = 60_000): Promise<Generation> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const generation = (await (
      await fetch(`${relay.url}/v1/generations/${id}`, { headers: auth })
    ).json()) as Generation;
    if (["completed", "failed", "canceled"].includes(generation.status)) return generation;
    if (Date.now() > deadline) throw new Error(`still ${generation.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Delivery {
  headers: Record<string, string>;
  body: string;
  verified?: boolean;
}

async function deliveriesTo(path: string, count: number): Promise<Delivery[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const seen = (await (
      await fetch(`${inject("receiverUrl")}/__deliveries?path=${encodeURIComponent(path)}`)
    ).json()) as Delivery[];
    if (seen.length >= count) return seen;
    if (Date.now() > deadline) throw new Error(`${seen.length} of ${count} deliveries`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("against the AI/ML API (local imitation)", () => {
  let relay: RelayProcess;
  beforeAll(async () => {
    relay = await startRelay({
      vars: testRelayVars(inject("upstreamUrl"), { WEBHOOK_RETRY_SCHEDULE_SECONDS: "0.2,0.2,0.2" }),
    });
  });
  afterAll(async () => relay?.stop());

  it("says on /healthz that the AI/ML API serves", async () => {
    expect(await (await fetch(`${relay.url}/healthz`)).json()).toEqual({ ok: true, upstream: "aimlapi" });
  });

  it("runs create → poll → R2 → signed link → verified webhook, and the video is byte for byte the upstream's", async () => {
    const hookPath = `/hook/${crypto.randomUUID()}/500,500,200`;
    const created = await createGeneration(relay, {
      prompt: `e2e happy path ${crypto.randomUUID()}`,
      resolution: "1080p",
      webhook_url: `${inject("receiverUrl")}${hookPath}`,
    });
    const done = await waitForTerminal(relay, created.id);
    expect(done.status, JSON.stringify(done.error)).toBe("completed");
    expect(done.upstream.polls).toBeGreaterThanOrEqual(5);

    const video = await fetch(done.video?.url ?? "");
    expect(video.status).toBe(200);
    expect(Buffer.from(await video.arrayBuffer()).equals(SAMPLE)).toBe(true);

    const deliveries = await deliveriesTo(hookPath, 3);
    expect(deliveries.map((d) => d.verified)).toEqual([true, true, true]);
    expect(new Set(deliveries.map((d) => d.headers["webhook-id"])).size).toBe(1);
    const event = JSON.parse(deliveries[2]?.body ?? "{}") as { type: string; data: Generation };
    expect(event.type).toBe("generation.completed");
    expect(event.data.video?.sha256).toBe(done.video?.sha256);
  });

  it("finishes a generation that was in flight when the runtime restarted, submitting once", async () => {
    const prompt = `e2e restart ${crypto.randomUUID()} [[fake steps=queued,generating,generating,generating,generating,generating,generating,generating,completed]]`;
    const created = await createGeneration(relay, { prompt });
    // Let it get going, then stop workerd and start it again on the same state.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const generation = (await (
        await fetch(`${relay.url}/v1/generations/${created.id}`, { headers: auth })
      ).json()) as Generation;
      if (generation.upstream.polls >= 2) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await relay.restart();
    const done = await waitForTerminal(relay, created.id);
    expect(done.status).toBe("completed");
    const stats = (await (
      await fetch(`${inject("upstreamUrl")}/__stats?prompt=${encodeURIComponent(prompt)}`)
    ).json()) as { submits: number };
    expect(stats.submits).toBe(1);
    const video = await fetch(`${relay.url}/v1/generations/${created.id}/video`, { headers: auth });
    expect(Buffer.from(await video.arrayBuffer()).equals(SAMPLE)).toBe(true);
  });

  it("serves the seed client's loop on the upstream-compatible API", async () => {
    const post = await fetch(`${relay.url}/v2/generate/video/alibaba/generation`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({
        model: "alibaba/wan2.5-t2v-preview",
        prompt: `seed loop ${crypto.randomUUID()}`,
        resolution: "1080p",
      }),
    });
    expect(post.status).toBe(201);
    const { id } = (await post.json()) as { id: string };
    const deadline = Date.now() + 60_000;
    let answer: { status: string; video: { url: string } | null } = { status: "queued", video: null };
    while (["queued", "waiting", "active", "generating"].includes(answer.status) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const response = await fetch(`${relay.url}/v2/generate/video/alibaba/generation?generation_id=${id}`, {
        headers: auth,
      });
      answer = (await response.json()) as typeof answer;
    }
    expect(answer.status).toBe("completed");
    const video = await fetch(answer.video?.url ?? "");
    expect(Buffer.from(await video.arrayBuffer()).equals(SAMPLE)).toBe(true);
  });
});

describe("with AIMLAPI_KEY missing for a while", () => {
  async function generation(relay: RelayProcess, id: string): Promise<Generation> {
    return (await (await fetch(`${relay.url}/v1/generations/${id}`, { headers: auth })).json()) as Generation;
  }
  async function timeline(
    relay: RelayProcess,
    id: string,
  ): Promise<{ type: string; detail: Record<string, unknown> }[]> {
    const response = await fetch(`${relay.url}/v1/generations/${id}/events`, { headers: auth });
    return ((await response.json()) as { data: { type: string; detail: Record<string, unknown> }[] }).data;
  }
  async function until<T>(what: string, probe: () => Promise<T | null>, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== null) return value;
      if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const stats = async (prompt: string) =>
    (await (await fetch(`${inject("upstreamUrl")}/__stats?prompt=${encodeURIComponent(prompt)}`)).json()) as {
      submits: number;
      polls: number;
    };

  it(
    "keeps an accepted generation waiting while the key is missing, then completes it with one submit",
    {
      timeout: 180_000,
    },
    async () => {
      // Three runtimes in turn on the same local state: with the key, without it, with it again.
      const persistDir = mkdtempSync(join(tmpdir(), "wan-relay-e2e-key-"));
      const withKey = testRelayVars(inject("upstreamUrl"));
      // An empty value overrides any AIMLAPI_KEY a local .dev.vars may hold.
      const withoutKey = { ...withKey, AIMLAPI_KEY: "" };
      let relay = await startRelay({ vars: withKey, persistDir });
      try {
        const steps = ["queued", ...Array<string>(8).fill("generating"), "completed"].join(",");
        const prompt = `e2e key missing ${crypto.randomUUID()} [[fake steps=${steps}]]`;
        const created = await createGeneration(relay, { prompt });
        await until("the first poll", async () =>
          (await generation(relay, created.id)).upstream.polls >= 1 ? true : null,
        );
        await relay.stop();

        relay = await startRelay({ vars: withoutKey, persistDir });
        const waiting = await until("a poll answered retryable for the missing key", async () => {
          const events = await timeline(relay, created.id);
          const failed = events.find(
            (event) => event.type === "upstream.poll_failed" && String(event.detail.reason).includes("AIMLAPI_KEY"),
          );
          return failed ?? null;
        });
        expect(String(waiting.detail.reason)).toContain("AIMLAPI_KEY is not set");
        const polls = (await stats(prompt)).polls;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        // Nothing reached the upstream, nothing went to the simulator, nothing failed.
        expect((await stats(prompt)).polls).toBe(polls);
        const held = await generation(relay, created.id);
        expect(["queued", "generating"]).toContain(held.status);
        expect(held.upstream.id).not.toMatch(/^sim-/);
        await relay.stop();

        relay = await startRelay({ vars: withKey, persistDir });
        const done = await waitForTerminal(relay, created.id);
        expect(done.status, JSON.stringify(done.error)).toBe("completed");
        expect((await stats(prompt)).submits).toBe(1);
        const video = await fetch(`${relay.url}/v1/generations/${created.id}/video`, { headers: auth });
        expect(Buffer.from(await video.arrayBuffer()).equals(SAMPLE)).toBe(true);
      } finally {
        await relay.stop();
        rmSync(persistDir, { recursive: true, force: true });
      }
    },
  );
});

describe("the seed's own Python client", () => {
  let relay: RelayProcess;
  beforeAll(async () => {
    relay = await startRelay({
      vars: {
        RELAY_API_KEYS: TEST_RELAY_API_KEYS,
        SIMULATOR: "true",
        POLL_INTERVAL_SECONDS: "0.2",
        SIMULATOR_SECONDS: "1",
      },
    });
  });
  afterAll(async () => relay?.stop());

  it("runs unchanged but for its base URL and key, and ends with a relay video link", async () => {
    const { stdout } = await promisify(execFile)("python3", [`${REPO_ROOT}/test/support/seed/seed_client.py`], {
      env: { ...process.env, WAN_RELAY_URL: relay.url, WAN_RELAY_KEY: TEST_CLIENT_KEYS.alice, POLL_SECONDS: "0.3" },
      timeout: 60_000,
    });
    expect(stdout).toMatch(/Generation ID: +gen_/);
    expect(stdout).toContain("Status: completed");
    const url = /'url': '([^']+)'/.exec(stdout)?.[1] ?? "";
    expect(url.startsWith(`${relay.url}/v1/generations/`)).toBe(true);
    const video = await fetch(url);
    expect(Buffer.from(await video.arrayBuffer()).equals(SAMPLE)).toBe(true);
  });
});

describe("with the built-in simulator (no AIMLAPI_KEY, SIMULATOR=true)", () => {
  let relay: RelayProcess;
  beforeAll(async () => {
    relay = await startRelay({
      vars: {
        RELAY_API_KEYS: TEST_RELAY_API_KEYS,
        SIMULATOR: "true",
        POLL_INTERVAL_SECONDS: "0.2",
        SIMULATOR_SECONDS: "1.5",
      },
    });
  });
  afterAll(async () => relay?.stop());

  it("says so on /healthz", async () => {
    expect(await (await fetch(`${relay.url}/healthz`)).json()).toEqual({ ok: true, upstream: "simulator" });
  });

  it("produces the shipped MP4 through the whole path, offline", async () => {
    const created = await createGeneration(relay, { prompt: "A raccoon eating ice cream" });
    expect(created.upstream.adapter).toBe("simulator");
    const done = await waitForTerminal(relay, created.id);
    expect(done.status).toBe("completed");
    expect(done.upstream.id).toMatch(/^sim-/);
    const video = await fetch(done.video?.url ?? "");
    expect(Buffer.from(await video.arrayBuffer()).equals(SAMPLE)).toBe(true);
    const events = (await (
      await fetch(`${relay.url}/v1/generations/${created.id}/events`, { headers: auth })
    ).json()) as {
      data: { type: string; detail: Record<string, unknown> }[];
    };
    const statuses = events.data.filter((e) => e.type === "status.changed").map((e) => e.detail.to);
    expect(statuses).toEqual(["generating", "storing", "completed"]);
  });

  it("completes a non-Wan model offline, with a data: URI input, and plays the same MP4", async () => {
    const image = `data:image/png;base64,${Buffer.from("not really a png, but an image/png all the same").toString("base64")}`;
    const created = await createGeneration(relay, {
      model: "google/veo-3.1-first-last-image-to-video",
      prompt: "A raccoon walks from one frame to the other",
      image_url: image,
      last_image_url: "https://media.example.com/last.png",
      duration: 4,
    });
    expect(created.model).toBe("google/veo-3.1-first-last-image-to-video");
    expect(created.input.image_url).toMatchObject({ type: "data_uri", media_type: "image/png" });
    const done = await waitForTerminal(relay, created.id);
    expect(done.status, JSON.stringify(done.error)).toBe("completed");
    expect(done.upstream.id).toMatch(/^sim-\d+-[0-9a-f]+:google\/veo-3\.1-first-last-image-to-video$/);
    const video = await fetch(done.video?.url ?? "");
    expect(Buffer.from(await video.arrayBuffer()).equals(SAMPLE)).toBe(true);
  });

  it("refuses creates with 503 naming AIMLAPI_KEY when neither it nor SIMULATOR=true is set, on both APIs", async () => {
    // What a deployment with the Deploy button's empty AIMLAPI_KEY default gets: no silent test videos.
    const bare = await startRelay({ vars: { RELAY_API_KEYS: TEST_RELAY_API_KEYS } });
    try {
      expect(await (await fetch(`${bare.url}/healthz`)).json()).toEqual({ ok: true, upstream: "not_configured" });
      const post = (path: string) =>
        fetch(`${bare.url}${path}`, {
          method: "POST",
          headers: { ...auth, "Content-Type": "application/json" },
          body: JSON.stringify({ prompt: "A raccoon eating ice cream" }),
        });
      const native = await post("/v1/generations");
      expect(native.status).toBe(503);
      const { error } = (await native.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe("not_configured");
      expect(error.message).toMatch(/^AIMLAPI_KEY is not set/);
      const compatible = await post("/v2/generate/video/alibaba/generation");
      expect(compatible.status).toBe(503);
      expect(await compatible.json()).toEqual({
        message: expect.stringMatching(/^AIMLAPI_KEY is not set/),
        statusCode: 503,
      });
      // Nothing was created.
      const listed = (await (await fetch(`${bare.url}/v1/generations`, { headers: auth })).json()) as {
        data: unknown[];
      };
      expect(listed.data).toEqual([]);
    } finally {
      await bare.stop();
    }
  });

  it("refuses every API call when RELAY_API_KEYS is unset", async () => {
    const bare = await startRelay({ vars: { RELAY_API_KEYS: "" } });
    try {
      const response = await fetch(`${bare.url}/v1/generations`, { headers: auth });
      expect(response.status).toBe(503);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("not_configured");
      expect((await fetch(`${bare.url}/healthz`)).status).toBe(200);
    } finally {
      await bare.stop();
    }
  });
});
