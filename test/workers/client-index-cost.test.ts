/**
 * What one generation costs its client's index (ClientIndexObject), which the
 * generation's own meter cannot see: the rows its SQL writes for the create's
 * `reserve` and the generation's `record` updates, counted from each cursor's
 * `rowsWritten` while a real generation runs through the routes.
 * docs/cost.md prices these figures; change both together.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi, type MockInstance } from "vitest";
import type { ClientIndexObject } from "../../src/generation/client-index.ts";
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
    const target = instance as unknown as { sql: SqlStorage };
    const sql = target.sql;
    let current: Counted = { method: "(other)", cursors: [] };
    target.sql = new Proxy(sql, {
      get(real, property) {
        if (property !== "exec") return Reflect.get(real, property) as unknown;
        return (query: string, ...bindings: unknown[]) => {
          const method = query.startsWith("SELECT value FROM counters")
            ? "reserve"
            : query.startsWith("SELECT status, version FROM entries")
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

describe("the client index's share of a generation", () => {
  it("writes 4 rows for the create's reserve and 2 or 3 for each record the generation sends", async () => {
    const log: MockInstance<typeof console.log> = vi.spyOn(console, "log");
    const calls = await countIndexWrites("alice");
    try {
      const created = await create({ prompt: uniquePrompt() });
      await stepUntil(created.id, isStatus("completed"));
      await vi.waitFor(() => {
        if (!log.mock.calls.some((args) => String(args[0]).includes('"generation.settled"'))) throw new Error("");
      });
      const settled = log.mock.calls
        .map((args) => String(args[0]))
        .filter((text) => text.includes('"generation.settled"') && text.includes(created.id))
        .map((text) => JSON.parse(text) as { meter: MeterCounts })[0];
      const rows = calls.map((call) => ({
        method: call.method,
        rows: call.cursors.reduce((sum, cursor) => sum + cursor.rowsWritten, 0),
      }));
      // One reserve from the Worker, then one record per index update the generation's meter counted.
      expect(rows.filter((r) => r.method === "reserve")).toHaveLength(1);
      expect(rows.filter((r) => r.method === "record")).toHaveLength(settled?.meter.index_requests ?? -1);
      // The reserve: the row with its primary-key and status-index entries, and the active count (no Idempotency-Key).
      expect(rows[0]).toEqual({ method: "reserve", rows: 4 });
      // queued, generating, storing: the summary upsert (the row and its status-index entry); completed also moves
      // the active count. The figures are in docs/cost.md.
      expect(rows.slice(1).map((r) => r.rows)).toEqual([2, 2, 2, 3]);
    } finally {
      log.mockRestore();
    }
  });
});
