/**
 * The generation store on a real Durable Object's SQLite storage: what one
 * commit writes, timelines longer than one INSERT carries, and a deferrable
 * change kept in memory until the next commit.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { TimelineEntry } from "../../src/generation/lifecycle.ts";
import type { GenerationObject } from "../../src/generation/object.ts";
import type { GenerationState } from "../../src/generation/state.ts";
import { GenerationStore } from "../../src/generation/store.ts";
import { unissuedId } from "./helpers.ts";

/** The store treats the state as an opaque JSON document: a marked object stands for one. */
const stateMarked = (mark: number) => ({ mark }) as unknown as GenerationState;

/** Runs `body` with a store on a new object's storage (a fresh id: no tables yet). */
function withStore<T>(body: (store: GenerationStore, storage: DurableObjectStorage) => T): Promise<T> {
  return runInDurableObject(env.GENERATION.getByName(unissuedId()), (_instance: GenerationObject, ctx) =>
    body(new GenerationStore(ctx.storage), ctx.storage),
  );
}

const writtenMark = (storage: DurableObjectStorage) =>
  (JSON.parse(storage.sql.exec<{ state: string }>("SELECT state FROM generation").one().state) as { mark: number })
    .mark;

describe("the generation store", () => {
  it("appends a commit's timeline entries in order, however many one commit carries", async () => {
    const entries: TimelineEntry[] = Array.from({ length: 71 }, (_, n) => ({ type: `t.${n}`, detail: { n } }));
    const result = await withStore((store) => {
      store.commit({ at: 1_000, state: stateMarked(1), timeline: entries.slice(0, 1), snapshot: null }, null);
      const loaded = store.load();
      store.commit({ at: 2_000, state: stateMarked(2), timeline: entries.slice(1), snapshot: null }, loaded);
      return store.timeline(100, null);
    });
    expect(result.nextCursor).toBeNull();
    expect(result.data.map((event) => event.type)).toEqual(entries.map((entry) => entry.type));
    expect(result.data.map((event) => event.detail)).toEqual(entries.map((entry) => entry.detail));
    expect(result.data[0]?.at).toBe(new Date(1_000).toISOString());
    expect(result.data[70]?.at).toBe(new Date(2_000).toISOString());
  });

  it("keeps a deferrable change in memory, under the same revision, and writes it with the next", async () => {
    const seen = await withStore((store, storage) => {
      const first = store.commit({ at: 1, state: stateMarked(1), timeline: [], snapshot: null }, null);
      const deferred = store.commit(
        { at: 2, state: stateMarked(2), timeline: [], snapshot: null, deferrable: true },
        store.load(),
      );
      const afterDeferred = { loaded: store.load(), written: writtenMark(storage) };
      store.reload();
      const readBack = store.load();
      // Deferred again, then a change that is not: it writes the state it carries.
      store.commit({ at: 3, state: stateMarked(3), timeline: [], snapshot: null, deferrable: true }, readBack);
      const next = store.commit(
        { at: 4, state: stateMarked(4), timeline: [{ type: "x", detail: {} }], snapshot: null, deferrable: true },
        store.load(),
      );
      return { first, deferred, afterDeferred, readBack, next, written: writtenMark(storage) };
    });
    expect(seen.deferred.revision).toBe(seen.first.revision);
    expect(seen.afterDeferred).toEqual({ loaded: { state: { mark: 2 }, revision: 1 }, written: 1 });
    // Lost on a read back: the row holds the state before it.
    expect(seen.readBack).toEqual({ state: { mark: 1 }, revision: 1 });
    // A change with timeline entries is never deferred.
    expect(seen.next.revision).toBe(2);
    expect(seen.written).toBe(4);
  });
});
