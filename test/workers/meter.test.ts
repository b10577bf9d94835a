/**
 * The per-generation counts (src/generation/meter.ts) as the object reports
 * them in its `generation.settled` log line, for generations stepped by hand
 * against the local fake upstream, the same counts kept in its storage, and
 * the rows a poll writes (docs/cost.md prices them).
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, inject, it, vi, type MockInstance } from "vitest";
import type { GenerationObject } from "../../src/generation/object.ts";
import type { MeterCounts } from "../../src/lib/log.ts";
import { call, create, get, isStatus, stepUntil, storeOf, stubOf, uniquePrompt } from "./helpers.ts";

const finished = isStatus("completed", "failed", "canceled");

let log: MockInstance<typeof console.log>;
beforeEach(() => {
  log = vi.spyOn(console, "log");
});
afterEach(() => log.mockRestore());

interface Line {
  event: string;
  generation: string;
  status?: string;
  meter?: MeterCounts;
}

/** The JSON lines logged about one generation so far. */
function linesOf(id: string): Line[] {
  return log.mock.calls
    .map((args) => String(args[0]))
    .filter((text) => text.startsWith("{"))
    .map((text) => JSON.parse(text) as Line)
    .filter((line) => line.generation === id);
}

async function settledMeter(id: string): Promise<MeterCounts> {
  await vi.waitFor(() => {
    if (!linesOf(id).some((line) => line.event === "generation.settled")) throw new Error("not settled yet");
  });
  const settled = linesOf(id).filter((line) => line.event === "generation.settled");
  expect(settled).toHaveLength(1);
  const meter = settled[0]?.meter;
  if (!meter) throw new Error("no meter in the settled line");
  return meter;
}

/** The counts the object holds now (its private store, read in place). */
function liveMeter(id: string): Promise<MeterCounts> {
  return runInDurableObject(stubOf(id), (instance: GenerationObject) => storeOf(instance).meter.snapshot());
}

/** Rows in the object's append-only tables: each was one insert. */
function appendedRows(id: string): Promise<number> {
  return runInDurableObject(stubOf(id), (_instance: GenerationObject, ctx) => {
    const count = (table: string) => ctx.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${table}`).one().n;
    return count("events") + count("snapshots");
  });
}

describe("the meter", () => {
  it("counts one put, the bytes, every alarm and RPC, and at least every row appended for a completed generation", async () => {
    const created = await create({ prompt: uniquePrompt() });
    const state = await stepUntil(created.id, finished);
    expect(state.status).toBe("completed");
    const meter = await settledMeter(created.id);

    expect(meter.r2_class_a).toBe(1);
    expect(meter.r2_class_b).toBe(0);
    expect(meter.r2_free).toBe(0);
    expect(meter.bytes_stored).toBe(state.video?.bytes);
    expect(meter.rpc).toEqual({ start: 1 });
    // submit, five polls (the last one chains the copy): at least six alarm runs.
    expect(meter.alarms).toBeGreaterThanOrEqual(6);
    expect(meter.do_requests).toBe(meter.alarms + 1);
    // Queued with the upstream's credit figure, generating, completed (storing and completed are told
    // together: one alarm run polls and copies); the created generation was listed by its reservation.
    expect(meter.index_requests).toBe(3);
    // One setAlarm when the generation is created, then at most one per alarm run.
    expect(meter.setalarm_calls).toBeLessThanOrEqual(meter.alarms + 1);
    expect(meter.rows_written).toBeGreaterThanOrEqual((await appendedRows(created.id)) + meter.setalarm_calls);
    expect(meter.rows_read).toBeGreaterThan(0);

    // Later requests are counted too: a read and a video view (the Worker's R2 get is the view).
    await get(created.id);
    const video = await call(`/v1/generations/${created.id}/video`);
    expect(video.status).toBe(200);
    await video.arrayBuffer();
    const later = await liveMeter(created.id);
    expect(later.rpc).toEqual({ start: 1, get: 1, videoAccess: 1 });
    expect(later.video_reads).toBe(1);
    expect(later.do_requests).toBe(meter.do_requests + 2);
  });

  it("counts a multipart copy as create + one part + complete, and saves the counts with the state row", async () => {
    const created = await create({ prompt: uniquePrompt("length=none") });
    const state = await stepUntil(created.id, finished);
    expect(state.status).toBe("completed");
    const meter = await settledMeter(created.id);
    expect(meter.r2_class_a).toBe(3);
    expect(meter.bytes_stored).toBe(state.video?.bytes);

    // The counts are saved with the state row: what a new instance starts from.
    const saved = await runInDurableObject(stubOf(created.id), (_instance: GenerationObject, ctx) => {
      const row = ctx.storage.sql.exec<{ meter: string }>(`SELECT meter FROM generation`).one();
      return JSON.parse(row.meter) as MeterCounts;
    });
    expect(saved.r2_class_a).toBe(3);
    expect(saved.alarms).toBe(meter.alarms);
    expect(saved.rows_written).toBeGreaterThan(0);
    expect(saved.rows_written).toBeLessThanOrEqual(meter.rows_written);
  });

  it("writes at most 3 rows per poll, and at most 100 for an 18-poll generation with a webhook", async () => {
    const polls = 18;
    // Queued at the first poll, generating for 16, completed at the 18th (then the copy).
    const steps = ["queued", ...Array<string>(polls - 2).fill("generating"), "completed"].join(",");
    const hook = `${inject("receiverUrl")}/hook/${crypto.randomUUID()}/200`;
    const created = await create({ prompt: uniquePrompt(`steps=${steps}`), webhook_url: hook });
    // Past the submit and the first status change, the polls that change nothing but their count.
    await stepUntil(created.id, (state) => state.upstream.polls === 2);
    const before = await liveMeter(created.id);
    const stretch = 12;
    await stepUntil(created.id, (state) => state.upstream.polls === 2 + stretch);
    const after = await liveMeter(created.id);
    expect(after.alarms - before.alarms).toBe(stretch);
    const perPoll = (after.rows_written - before.rows_written) / stretch;
    expect(perPoll, `${perPoll} rows written per poll`).toBeLessThanOrEqual(3);

    const state = await stepUntil(created.id, finished, 30);
    expect(state.status).toBe("completed");
    expect(state.upstream.polls).toBe(polls);
    const meter = await settledMeter(created.id);
    expect(meter.alarms).toBeGreaterThanOrEqual(polls + 1);
    // What a whole generation writes: 3 per poll at most, and a fixed part for the rest.
    expect(meter.rows_written, JSON.stringify(meter)).toBeLessThanOrEqual(100);
  });

  it("reports a canceled generation once its upstream task has ended, with its status and the cancel RPC", async () => {
    const created = await create({ prompt: uniquePrompt("steps=queued,generating,generating,completed") });
    await stepUntil(created.id, isStatus("generating"));
    const response = await call(`/v1/generations/${created.id}`, { method: "DELETE" });
    expect(response.status).toBe(200);
    // Canceled for its client; its upstream task is polled until it ends, and only then is nothing left to do.
    await stepUntil(created.id, (state) => state.upstream.task === "ended");
    // A stray alarm after the end changes nothing and logs no second settled line.
    await runDurableObjectAlarm(stubOf(created.id));
    const meter = await settledMeter(created.id);
    expect(linesOf(created.id).find((line) => line.event === "generation.settled")?.status).toBe("canceled");
    expect(meter.rpc).toEqual({ start: 1, cancel: 1 });
    expect(meter.r2_class_a).toBe(0);
    expect(meter.bytes_stored).toBe(0);
  });
});
