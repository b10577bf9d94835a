/**
 * Retention and purge end to end: the relay under `wrangler dev` (workerd,
 * real alarms, local R2) with RETENTION_SECONDS=2, against the local fake
 * upstream and webhook receiver. A generation that is gone answers 404 on
 * every route, is in neither the list nor the usage counts, and has no
 * object left in the local R2 bucket (read from wrangler's own persisted
 * bucket state, the SQLite file the local R2 implementation keeps).
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Generation } from "../../src/api/schemas.ts";
import { TEST_CLIENT_KEYS } from "../support/constants.ts";
import { REPO_ROOT, startRelay, testRelayVars, type RelayProcess } from "../support/relay-process.ts";

const RETENTION_SECONDS = 2;
const auth = { Authorization: `Bearer ${TEST_CLIENT_KEYS.alice}` };

let relay: RelayProcess;

beforeAll(async () => {
  relay = await startRelay({
    vars: testRelayVars(inject("upstreamUrl"), {
      RETENTION_SECONDS: String(RETENTION_SECONDS),
      WEBHOOK_RETRY_SCHEDULE_SECONDS: "1.5,1.5,1.5",
    }),
  });
});
afterAll(async () => relay?.stop());

const api = (path: string, init: RequestInit = {}): Promise<Response> =>
  fetch(`${relay.url}${path}`, { ...init, headers: { ...auth, ...init.headers }, signal: AbortSignal.timeout(10_000) });

const uniquePrompt = (directives = ""): string =>
  `an otter sorting pebbles ${crypto.randomUUID()}${directives === "" ? "" : ` [[fake ${directives}]]`}`;

async function create(body: Record<string, unknown>): Promise<Generation> {
  const response = await api("/v1/generations", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status, await response.clone().text()).toBe(202);
  return (await response.json()) as Generation;
}

/** Polls GET until `done` holds for the generation (or it is gone, when `done` accepts null). */
async function waitFor(
  id: string,
  done: (generation: Generation | null) => boolean,
  timeoutMs = 30_000,
): Promise<Generation | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await api(`/v1/generations/${id}`);
    const generation = response.status === 404 ? null : ((await response.json()) as Generation);
    if (done(generation)) return generation;
    if (Date.now() > deadline) throw new Error(`not there after ${timeoutMs} ms: ${JSON.stringify(generation)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const terminal = (g: Generation | null): g is Generation =>
  g !== null && ["completed", "failed", "canceled"].includes(g.status);

/** Keys in the local R2 bucket starting with `prefix`, read from the bucket's persisted SQLite state. */
function r2Keys(prefix: string): string[] {
  const dir = join(relay.persistDir, "v3", "r2", "miniflare-R2BucketObject");
  const keys: string[] = [];
  for (const file of readdirSync(dir).filter((name) => name.endsWith(".sqlite"))) {
    const db = new DatabaseSync(join(dir, file), { readOnly: true });
    try {
      // The directory also holds the namespace's metadata database.
      if (db.prepare(`SELECT 1 FROM sqlite_master WHERE name = '_mf_objects'`).all().length === 0) continue;
      const rows = db.prepare(`SELECT key FROM _mf_objects WHERE substr(key, 1, ?) = ?`).all(prefix.length, prefix);
      keys.push(...rows.map((row) => String(row.key)));
    } finally {
      db.close();
    }
  }
  return keys;
}

interface Usage {
  by_status: Record<string, number>;
  by_model: Record<string, number>;
  videos: { count: number; bytes: number };
}

async function usageSince(iso: string): Promise<Usage> {
  const response = await api(`/v1/usage?since=${encodeURIComponent(iso)}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Usage;
}

const total = (usage: Usage): number => Object.values(usage.by_status).reduce((a, b) => a + b, 0);

/** Every route answers 404 for the id, it is not listed, not counted, and R2 holds nothing of it. */
async function expectGone(generation: Generation): Promise<void> {
  const { id } = generation;
  const requests: [string, () => Promise<Response>][] = [
    ["GET", () => api(`/v1/generations/${id}`)],
    ["DELETE", () => api(`/v1/generations/${id}`, { method: "DELETE" })],
    ["DELETE ?purge=true", () => api(`/v1/generations/${id}?purge=true`, { method: "DELETE" })],
    ["events", () => api(`/v1/generations/${id}/events`)],
    ["stream", () => api(`/v1/generations/${id}/stream`)],
    ["redeliver", () => api(`/v1/generations/${id}/webhook/redeliver`, { method: "POST" })],
    ["video with a key", () => api(`/v1/generations/${id}/video`)],
    ["compat GET", () => api(`/v2/video/generations?generation_id=${id}`)],
  ];
  if (generation.video) {
    const url = generation.video.url;
    requests.push(["video with its signed link", () => fetch(url, { signal: AbortSignal.timeout(10_000) })]);
  }
  for (const [name, request] of requests) {
    const response = await request();
    expect(response.status, `${name}: ${await response.text()}`).toBe(404);
  }
  const list = (await (await api("/v1/generations?limit=100")).json()) as { data: Generation[] };
  expect(list.data.map((g) => g.id)).not.toContain(id);
  expect(total(await usageSince(generation.created_at))).toBe(0);
  expect(r2Keys(`videos/${id}`)).toEqual([]);
  expect(r2Keys(`inputs/${id}/`)).toEqual([]);
}

/** The relay's lifecycle line `event` about generation `id` (one JSON object per line, src/lib/log.ts). */
function logLine(event: string, id: string): Record<string, unknown> | undefined {
  return relay
    .logs()
    .split("\n")
    .filter((line) => line.startsWith('{"level":'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .find((line) => line.event === event && line.generation === id);
}

async function deliveries(path: string): Promise<unknown[]> {
  const response = await fetch(`${inject("receiverUrl")}/__deliveries?path=${encodeURIComponent(path)}`);
  return (await response.json()) as unknown[];
}

/** Runs `wan-relay` (its TypeScript source, which Node 22 runs as it is) against the relay. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, "src", "cli", "main.ts"), ...args], {
      env: { ...process.env, WAN_RELAY_URL: relay.url, WAN_RELAY_KEY: TEST_CLIENT_KEYS.alice },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("retention under wrangler dev", () => {
  it("deletes a completed generation RETENTION_SECONDS after it ended", async () => {
    const created = await create({ prompt: uniquePrompt() });
    const done = await waitFor(created.id, terminal);
    if (done === null) throw new Error("gone before it was seen completed");
    expect(done.status).toBe("completed");
    expect(Date.parse(done.expires_at ?? "")).toBe(Date.parse(done.completed_at ?? "") + RETENTION_SECONDS * 1000);
    expect(r2Keys(`videos/${created.id}`)).toEqual([`videos/${created.id}.mp4`]);
    expect(await usageSince(created.created_at)).toMatchObject({
      by_status: { completed: 1 },
      videos: { count: 1, bytes: done.video?.bytes },
    });

    await waitFor(created.id, (g) => g === null);
    // Not before its time.
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(done.expires_at ?? ""));
    await expectGone(done);
    expect(logLine("generation.expired", created.id)).toMatchObject({ status: "completed", client: "alice" });
    expect(logLine("generation.purged", created.id)).toBeUndefined();
  });

  it("keeps a generation while its webhook is retrying, then deletes it after the series ended", async () => {
    const path = `/hook/${crypto.randomUUID()}/500,500,500,200`;
    const created = await create({ prompt: uniquePrompt(), webhook_url: `${inject("receiverUrl")}${path}` });
    const done = await waitFor(created.id, terminal);
    if (done === null) throw new Error("gone before it was seen completed");
    const completedAt = Date.parse(done.completed_at ?? "");

    // Past the point where retention counted from the terminal state would have deleted it.
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, completedAt + RETENTION_SECONDS * 1000 + 500 - Date.now())),
    );
    const pending = await waitFor(created.id, () => true);
    expect(pending?.webhook?.state).toBe("pending");
    expect(pending?.expires_at).toBeNull();

    const delivered = await waitFor(created.id, (g) => g === null || g.webhook?.state === "delivered");
    if (delivered === null) throw new Error("deleted before its webhook series was seen ending");
    expect(delivered.webhook?.attempts).toBe(4);
    const expiresAt = Date.parse(delivered.expires_at ?? "");
    expect(expiresAt).toBeGreaterThan(completedAt + RETENTION_SECONDS * 1000);

    await waitFor(created.id, (g) => g === null);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    await expectGone(delivered);
    expect(await deliveries(path)).toHaveLength(4);
  });
});

describe("purge under wrangler dev", () => {
  it("`wan-relay purge` deletes a running generation: 404 at once, its task polled only until it ends, then nothing", async () => {
    // The task ends upstream at its fifth poll.
    const prompt = uniquePrompt("steps=generating,generating,generating,generating,completed");
    const created = await create({ prompt });
    await waitFor(created.id, (g) => (g?.upstream.polls ?? 0) >= 2);

    const purged = await cli(["purge", created.id]);
    expect(purged.code, purged.stderr).toBe(0);
    expect(JSON.parse(purged.stdout)).toEqual({ id: created.id, purged: true });
    await expectGone(created);

    const stats = async () =>
      (await (await fetch(`${inject("upstreamUrl")}/__stats?prompt=${encodeURIComponent(prompt)}`)).json()) as {
        polls: number;
        downloads: number;
      };
    // Its paid task is polled, silently, until it ends (never copied); then its last row goes.
    const deadline = Date.now() + 20_000;
    while (logLine("generation.purged", created.id) === undefined) {
      if (Date.now() > deadline) throw new Error("the purge did not finish");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await stats()).toMatchObject({ polls: 5, downloads: 0 });
    // Several poll intervals (0.2 s) later, nothing more was asked upstream.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await stats()).polls).toBe(5);
    expect(logLine("generation.purged", created.id)).toMatchObject({ status: "canceled", client: "alice" });

    const status = await cli(["status", created.id]);
    expect(status.code).toBe(1);
    expect(status.stderr).toContain("404");
  });
});
