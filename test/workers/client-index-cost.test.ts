/**
 * What one generation costs its client's index (ClientIndexObject), which the
 * generation's own meter cannot see: the rows its SQL writes for the create's
 * `reserve` and the generation's `record` updates, counted from each cursor's
 * `rowsWritten` while a real generation runs through the routes.
 * docs/cost.md prices these figures; change both together.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it, vi, type MockInstance } from "vitest";
import type { ClientIndexObject } from "../../src/client-index/object.ts";
import type { MeterCounts } from "../../src/lib/log.ts";
import { create, isStatus, stepUntil, uniquePrompt } from "./helpers.ts";

interface Counted {
  method: string;
  cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[];
}

/**
 * Wraps the index instance's SQL handle so every statement's cursor is kept,
 * grouped by the RPC call that ran it: a `reserve` starts by reading the
 * active count, a `record` by reading the generation's row.
 */
async function countIndexWrites(client: string): Promise<Counted[]> {
  const calls: Counted[] = [];
  await runInDurableObject(env.CLIENT_INDEX.getByName(client), (instance: ClientIndexObject) => {
    // The rows' SQL handle (src/client-index/entries.ts), wrapped in place.
    const target = (instance as unknown as { entries: { sql: SqlStorage } }).entries;
    const sql = target.sql;
    let current: Counted = { method: "(other)", cursors: [] };
    target.sql = new Proxy(sql, {
      get(real, property) {
        if (property !== "exec") return Reflect.get(real, property) as unknown;
        return (query: string, ...bindings: unknown[]) => {
          const method = query.startsWith("SELECT value FROM counters")
            ? "reserve"
            : query.startsWith("SELECT status, version, slot FROM entries")
              ? "record"
              : null;
          if (method !== null) {
            current = { method, cursors: [] };
            calls.push(current);
          }
          const cursor = real.exec(query, ...bindings);
          current.cursors.push(cursor);
          return cursor;
        };
      },
    });
  });
  return calls;
}

/** Runs one generation as alice to its settled line; the index's rows per call meanwhile, and the object's meter. */
async function measure(
  body: Record<string, unknown>,
): Promise<{ rows: { method: string; rows: number }[]; meter: MeterCounts }> {
  const log: MockInstance<typeof console.log> = vi.spyOn(console, "log");
  try {
    const calls = await countIndexWrites("alice");
    const created = await create(body);
    await stepUntil(created.id, isStatus("completed"));
    const settled = await vi.waitFor(() => {
      const line = log.mock.calls
        .map((args) => String(args[0]))
        .find((text) => text.includes('"generation.settled"') && text.includes(created.id));
      if (line === undefined) throw new Error("not settled yet");
      return JSON.parse(line) as { meter: MeterCounts };
    });
    const rows = calls.map((call) => ({
      method: call.method,
      rows: call.cursors.reduce((sum, cursor) => sum + cursor.rowsWritten, 0),
    }));
    return { rows, meter: settled.meter };
  } finally {
    log.mockRestore();
  }
}

describe("the client index's share of a generation", () => {
  it("writes 4 rows for the create's reserve and 2 to 5 for each of the generation's three records", async () => {
    const { rows, meter } = await measure({ prompt: uniquePrompt() });
    // One reserve from the Worker, then one record per index update the generation's meter counted.
    expect(rows.map((r) => r.method)).toEqual(["reserve", ...Array<string>(meter.index_requests).fill("record")]);
    // The reserve: the row with its primary-key and status-index entries, and the active count (no Idempotency-Key).
    expect(rows[0]?.rows).toBe(4);
    // queued needs no record: the reserve already stored the generation's summary.
    // generating: the summary upsert (the row and its status-index entry); the upstream's credit
    // figure (after the submission) also writes its spend row with its month-index entry and primary key;
    // completed also moves the slot count. Storing is not reported on its own: the copy follows the poll
    // that found the video in the same alarm run, and the index is told once when the run ends. The
    // figures are in docs/cost.md.
    expect(rows.slice(1).map((r) => r.rows)).toEqual([5, 2, 3]);
  });

  it("writes one more record of 2 rows when a webhook is delivered", async () => {
    const hook = `${inject("receiverUrl")}/hook/index-cost-${crypto.randomUUID()}/200`;
    const { rows, meter } = await measure({ prompt: uniquePrompt(), webhook_url: hook });
    expect(rows.map((r) => r.method)).toEqual(["reserve", ...Array<string>(meter.index_requests).fill("record")]);
    expect(rows.map((r) => r.rows)).toEqual([4, 5, 2, 3, 2]);
  });
});
