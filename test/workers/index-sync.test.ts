/**
 * The client index's acknowledgement of a generation's summary: kept in
 * memory and written with the generation's next change (one state row less
 * per status change), and harmless to lose: a state read back without it
 * reports again, and the index takes a summary it holds as a no-op.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { GenerationObject } from "../../src/generation/object.ts";
import { needsIndexSync, type GenerationState } from "../../src/generation/state.ts";
import type { Loaded } from "../../src/generation/store.ts";
import type { ClientIndexObject } from "../../src/client-index/object.ts";
import { create, isStatus, settle, stepUntil, storedOf, storeOf, stubOf, uniquePrompt } from "./helpers.ts";

/** What the object holds in memory: the state the next request reads, its revision and the meter's index requests. */
function held(id: string): Promise<Loaded & { indexRequests: number }> {
  return runInDurableObject(stubOf(id), (instance: GenerationObject) => {
    const store = storeOf(instance);
    const loaded = store.load();
    if (loaded === null) throw new Error("no generation");
    return { ...loaded, indexRequests: store.meter.snapshot().index_requests };
  });
}

/** The generation's row as written to its storage. */
async function written(id: string): Promise<Loaded> {
  const stored = await storedOf(id);
  if (stored === null) throw new Error("no generation row");
  return stored;
}

/** The client index's row of the generation: its status, the revision it holds and its summary. */
function indexRow(state: GenerationState): Promise<{ status: string; version: number; summary: string }> {
  return runInDurableObject(env.CLIENT_INDEX.getByName(state.clientId), (_instance: ClientIndexObject, ctx) =>
    ctx.storage.sql
      .exec<{ status: string; version: number; summary: string }>(
        "SELECT status, version, summary FROM entries WHERE id = ?",
        state.id,
      )
      .one(),
  );
}

describe("the client index's acknowledgement", () => {
  it("is written with the next change, not on its own", async () => {
    const created = await create({ prompt: uniquePrompt("steps=generating,generating,completed") });
    await stepUntil(created.id, isStatus("generating"));
    const memory = await held(created.id);
    const disk = await written(created.id);
    // The index took the generating summary at the revision written, and the object knows it.
    expect(await indexRow(memory.state)).toMatchObject({ status: "generating", version: disk.revision });
    expect(needsIndexSync(memory.state)).toBe(false);
    // The row was not written again for the acknowledgement alone.
    expect(memory.revision).toBe(disk.revision);
    expect(needsIndexSync(disk.state)).toBe(true);

    // The next poll (still generating) changes the state: its write carries the acknowledgement.
    await runDurableObjectAlarm(stubOf(created.id));
    await settle(created.id);
    const next = await written(created.id);
    expect(next.state.upstream.polls).toBe(memory.state.upstream.polls + 1);
    expect(next.revision).toBe(disk.revision + 1);
    expect(needsIndexSync(next.state)).toBe(false);
    // Nothing the index shows changed, so nothing was sent to it.
    expect((await held(created.id)).indexRequests).toBe(memory.indexRequests);
    expect((await indexRow(next.state)).version).toBe(disk.revision);
  });

  it("reports again, as a no-op for the index, when the state is read back without it", async () => {
    const created = await create({ prompt: uniquePrompt("steps=generating,completed") });
    const completed = await stepUntil(created.id, isStatus("completed"));
    const before = await indexRow(completed);
    const memory = await held(created.id);
    expect(before).toMatchObject({ status: "completed", version: memory.revision });
    // The completed state's acknowledgement is the last change: never written on its own.
    expect(needsIndexSync((await written(created.id)).state)).toBe(true);

    // Nothing is left to do, so no alarm is set: nothing reports again on its own.
    expect(await runDurableObjectAlarm(stubOf(created.id))).toBe(false);
    // As a new instance would: the state read back from storage, and an alarm
    // set for something else (a webhook retry, the end of retention).
    await runInDurableObject(stubOf(created.id), async (instance: GenerationObject, ctx) => {
      storeOf(instance).reload();
      await ctx.storage.setAlarm(Date.now());
    });
    expect(needsIndexSync((await held(created.id)).state)).toBe(true);
    expect(await runDurableObjectAlarm(stubOf(created.id))).toBe(true);
    const after = await held(created.id);
    expect(after.indexRequests).toBe(memory.indexRequests + 1);
    expect(needsIndexSync(after.state)).toBe(false);
    expect(after.revision).toBe(memory.revision);
    // The index kept its row as it was.
    expect(await indexRow(completed)).toEqual(before);
  });
});
