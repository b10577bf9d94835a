/**
 * `GET /v1/usage` (docs/api.md#native-api): the calling client's generations counted
 * by status and by model, and its stored videos, from its index alone.
 *
 * Each test has a client of its own (a key list with one more client, given
 * to the Worker for that test's requests), so its index holds exactly the
 * generations the test made.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app.ts";
import { monthEndsAt, utcMonth } from "../../src/lib/months.ts";
import type { Generation } from "../../src/api/schemas.ts";
import { DEFAULT_MODEL_ID as DEFAULT_MODEL, isTerminal, type GenerationStatus } from "../../src/vocabulary.ts";
import { expectNativeError, isStatus, ORIGIN, stepUntil, uniquePrompt, waitForSubmission } from "./helpers.ts";
import { summaryOf } from "./index-helpers.ts";

/** A second model, created through the API like the default one. */
const OTHER_MODEL = "openai/sora-2-t2v";
const DAY_MS = 24 * 60 * 60_000;

interface UsageBody {
  since: string | null;
  by_status: Record<GenerationStatus, number>;
  by_model: Record<string, number>;
  videos: { count: number; bytes: number };
  credits: { month: string; used: number; budget: number | null; resets_at: string };
}

const zeros = (): Record<GenerationStatus, number> => ({
  queued: 0,
  generating: 0,
  storing: 0,
  completed: 0,
  failed: 0,
  canceled: 0,
});

/** A client of the relay known only to this test. */
function freshClient() {
  const name = `usage-${crypto.randomUUID()}`;
  const key = `key-${crypto.randomUUID()}`;
  const request = async (path: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set("Authorization", `Bearer ${key}`);
    const ctx = createExecutionContext();
    const response = await app.fetch(
      new Request(`${ORIGIN}${path}`, { ...init, headers }),
      { ...env, RELAY_API_KEYS: `${name}:${key}` },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return response;
  };
  return {
    name,
    request,
    index: env.CLIENT_INDEX.getByName(name),
    async create(prompt: string, fields: Record<string, unknown> = {}): Promise<Generation> {
      const response = await request("/v1/generations", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ prompt, ...fields }),
      });
      expect(response.status, await response.clone().text()).toBe(202);
      return response.json<Generation>();
    },
    async usage(query = ""): Promise<UsageBody> {
      const response = await request(`/v1/usage${query}`);
      expect(response.status, await response.clone().text()).toBe(200);
      return response.json<UsageBody>();
    },
  };
}

/** An id that sorts by `ms`, like the relay's (the index never checks an id's MAC). */
const idAt = (ms: number): string =>
  `gen_${ms.toString(36).padStart(10, "0")}${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;

/** Records a generation of OTHER_MODEL in the client's index, as its object would. */
async function recordOther(
  client: ReturnType<typeof freshClient>,
  status: GenerationStatus,
  createdAt: number,
  bytes: number | null,
): Promise<void> {
  const id = idAt(createdAt);
  await client.index.record({
    id,
    version: 1,
    summary: summaryOf(id, status, { createdAt, bytes, model: OTHER_MODEL }),
    holdsSlot: !isTerminal(status),
  });
}

/** What the local fake upstream says each task costs (`meta.usage.tokens_used`). */
const TASK_CREDITS = 1_050_000;

/** The `credits` of a usage answer this month, for a client without a budget. */
function creditsThisMonth(used: number): UsageBody["credits"] {
  const month = utcMonth(Date.now());
  return { month, used, budget: null, resets_at: monthEndsAt(month) };
}

describe("GET /v1/usage", () => {
  it("counts a known mix by status and by model, and the stored videos with their bytes", async () => {
    const client = freshClient();
    const small = await client.create(uniquePrompt("size=1000"));
    const large = await client.create(uniquePrompt("size=3000"));
    const failed = await client.create(uniquePrompt("steps=error"));
    const canceled = await client.create(uniquePrompt("steps=generating"));
    const running = await client.create(uniquePrompt("steps=generating"));
    const otherModel = await client.create(uniquePrompt("size=500"), { model: OTHER_MODEL, duration: 8 });
    await stepUntil(small.id, isStatus("completed"));
    await stepUntil(otherModel.id, isStatus("completed"));
    await stepUntil(large.id, isStatus("completed"));
    await stepUntil(failed.id, isStatus("failed"));
    expect((await client.request(`/v1/generations/${canceled.id}`, { method: "DELETE" })).status).toBe(200);
    await waitForSubmission(running.id);
    // Two more of the other model, two days old (older than any the API can create), recorded as their objects would.
    const old = Date.now() - 2 * DAY_MS;
    await recordOther(client, "completed", old, 5000);
    await recordOther(client, "failed", old + 1, null);

    // The fake upstream says each task it took costs 1,050,000 credits; the two recorded by hand said nothing.
    expect(await client.usage()).toEqual({
      since: null,
      by_status: { ...zeros(), queued: 1, completed: 4, failed: 2, canceled: 1 },
      by_model: { [DEFAULT_MODEL]: 5, [OTHER_MODEL]: 3 },
      videos: { count: 4, bytes: 1000 + 3000 + 500 + 5000 },
      credits: creditsThisMonth(6 * TASK_CREDITS),
    });

    const dayAgo = new Date(Date.now() - DAY_MS).toISOString();
    // `since` narrows the counts, not the month's credits.
    expect(await client.usage(`?since=${encodeURIComponent(dayAgo)}`)).toEqual({
      since: dayAgo,
      by_status: { ...zeros(), queued: 1, completed: 3, failed: 1, canceled: 1 },
      by_model: { [DEFAULT_MODEL]: 5, [OTHER_MODEL]: 1 },
      videos: { count: 3, bytes: 4500 },
      credits: creditsThisMonth(6 * TASK_CREDITS),
    });

    // `since` compares with the created_at clients see: the last two created count, alone.
    expect(await client.usage(`?since=${encodeURIComponent(running.created_at)}`)).toMatchObject({
      by_status: { ...zeros(), queued: 1, completed: 1 },
      by_model: { [DEFAULT_MODEL]: 1, [OTHER_MODEL]: 1 },
    });

    const future = new Date(Date.now() + DAY_MS).toISOString();
    expect(await client.usage(`?since=${encodeURIComponent(future)}`)).toEqual({
      since: future,
      by_status: zeros(),
      by_model: {},
      videos: { count: 0, bytes: 0 },
      credits: creditsThisMonth(6 * TASK_CREDITS),
    });
  });

  it("counts a generation created exactly at `since`, and none created before it", async () => {
    const client = freshClient();
    const at = Date.now() - DAY_MS;
    await recordOther(client, "failed", at - 1, null);
    await recordOther(client, "completed", at, 10);
    const usage = await client.usage(`?since=${encodeURIComponent(new Date(at).toISOString())}`);
    expect(usage.by_status).toEqual({ ...zeros(), completed: 1 });
  });

  it("is current as soon as a status change is visible, and drops purged generations", async () => {
    const client = freshClient();
    const running = await client.create(uniquePrompt("steps=generating"));
    const done = await client.create(uniquePrompt("size=2048"));
    await waitForSubmission(running.id);
    expect((await client.usage()).by_status).toEqual({ ...zeros(), queued: 2 });

    expect((await client.request(`/v1/generations/${running.id}`, { method: "DELETE" })).status).toBe(200);
    expect((await client.usage()).by_status).toEqual({ ...zeros(), queued: 1, canceled: 1 });

    await stepUntil(done.id, isStatus("completed"));
    expect(await client.usage()).toMatchObject({
      by_status: { ...zeros(), completed: 1, canceled: 1 },
      videos: { count: 1, bytes: 2048 },
    });

    for (const id of [running.id, done.id]) {
      expect((await client.request(`/v1/generations/${id}?purge=true`, { method: "DELETE" })).status).toBe(200);
    }
    // Deleting data never refunds: what the two cost this month is still counted.
    expect(await client.usage()).toEqual({
      since: null,
      by_status: zeros(),
      by_model: {},
      videos: { count: 0, bytes: 0 },
      credits: creditsThisMonth(2 * TASK_CREDITS),
    });
  });

  it("takes a date, or a date-time with a time zone, and answers it normalized", async () => {
    const client = freshClient();
    expect((await client.usage("?since=2026-08-01")).since).toBe("2026-08-01T00:00:00.000Z");
    expect((await client.usage(`?since=${encodeURIComponent("2026-08-01T02:00:00+02:00")}`)).since).toBe(
      "2026-08-01T00:00:00.000Z",
    );
    expect((await client.usage("?since=2026-08-01T00:00:00.5Z")).since).toBe("2026-08-01T00:00:00.500Z");
  });

  it.each(["yesterday", "1700000000", "2026-13-01", "2026-08-01T00:00:00", "2026-08-01T25:00:00Z", ""])(
    "refuses since=%s with 400 naming since",
    async (since) => {
      const client = freshClient();
      const error = await expectNativeError(
        await client.request(`/v1/usage?since=${encodeURIComponent(since)}`),
        400,
        "invalid_request",
      );
      expect(error.details?.map((detail) => detail.field)).toEqual(["since"]);
      expect(error.message).toMatch(/^since /);
    },
  );

  it("needs a key", async () => {
    const response = await app.fetch(new Request(`${ORIGIN}/v1/usage`), env, createExecutionContext());
    await expectNativeError(response, 401, "unauthorized");
  });
});
