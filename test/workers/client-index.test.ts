/**
 * The per-client index: rows that only move forward, an O(1) quota, summary
 * pages, idempotency keys that expire, stream slots, and reconciliation of
 * active rows with their generations.
 *
 * Each test uses its own client name (the namespace is shared by every test
 * file), and afterEach removes the alarms the test scheduled.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { ClientIndexObject } from "../../src/client-index/object.ts";
import { NEVER_STARTED_AFTER_MS } from "../../src/client-index/reconcile.ts";
import { ensureSchema, IDEMPOTENCY_KEY_TTL_MS } from "../../src/client-index/schema.ts";
import type { GenerationSummary } from "../../src/generation/view.ts";
import { utcMonth } from "../../src/lib/months.ts";
import { isTerminal, type GenerationStatus } from "../../src/vocabulary.ts";
import { create, isStatus, stepUntil, uniquePrompt } from "./helpers.ts";
import { activeCountOf, summaryOf, type IndexStub } from "./index-helpers.ts";

const used: IndexStub[] = [];

/** A fresh index for this test. */
function freshIndex(label: string): IndexStub {
  const stub = env.CLIENT_INDEX.getByName(`${label}-${crypto.randomUUID()}`);
  used.push(stub);
  return stub;
}

afterEach(async () => {
  for (const stub of used.splice(0)) {
    await runInDurableObject(stub, (_instance: ClientIndexObject, ctx) => ctx.storage.deleteAlarm());
  }
});

/** An id that sorts by `ms`, like the relay's (the index never checks an id's MAC). */
const idAt = (ms: number): string =>
  `gen_${ms.toString(36).padStart(10, "0")}${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;

function reserve(
  index: IndexStub,
  id: string,
  options: { createdAt?: number; key?: string; bodyHash?: string; maxActive?: number } = {},
) {
  return index.reserve({
    id,
    createdAt: options.createdAt ?? Date.now(),
    idempotencyKey: options.key ?? null,
    bodyHash: options.bodyHash ?? "hash",
    maxActive: options.maxActive ?? 10,
    budget: null,
    month: utcMonth(Date.now()),
  });
}

const record = (index: IndexStub, id: string, version: number, status: GenerationStatus, createdAt?: number) =>
  index.record({ id, version, summary: summaryOf(id, status, { createdAt }), holdsSlot: !isTerminal(status) });

async function statusOf(index: IndexStub, id: string): Promise<string | null> {
  return runInDurableObject(index, (_instance: ClientIndexObject, ctx) => {
    const row = ctx.storage.sql.exec<{ status: string }>(`SELECT status FROM entries WHERE id = ?`, id).toArray()[0];
    return row?.status ?? null;
  });
}

/** The counter agrees with a count over every row (the slow way, for checking only). */
async function expectCounterConsistent(index: IndexStub): Promise<number> {
  const counted = await runInDurableObject(
    index,
    (_instance: ClientIndexObject, ctx) =>
      ctx.storage.sql
        .exec<{ n: number }>(`SELECT count(*) AS n FROM entries WHERE status IN ('queued', 'generating', 'storing')`)
        .one().n,
  );
  expect(await activeCountOf(index)).toBe(counted);
  return counted;
}

describe("client index: rows only move forward", () => {
  it("ignores an update whose version is not newer than the stored one", async () => {
    const index = freshIndex("versions");
    const id = idAt(Date.now());
    await reserve(index, id);
    await record(index, id, 1, "generating");
    await record(index, id, 3, "completed");
    await record(index, id, 2, "generating");
    await record(index, id, 3, "storing");
    expect(await statusOf(index, id)).toBe("completed");
    const page = await index.listSummaries({ limit: 10, cursor: null, status: null });
    expect(page.data.map((summary) => summary.status)).toEqual(["completed"]);
    expect(await expectCounterConsistent(index)).toBe(0);
  });

  it("never makes a terminal row active again, whatever the version or the method", async () => {
    const index = freshIndex("terminal");
    const id = idAt(Date.now());
    await reserve(index, id);
    await record(index, id, 2, "failed");
    await record(index, id, 5, "generating");
    await record(index, id, 6, "queued");
    expect(await statusOf(index, id)).toBe("failed");
    expect(await expectCounterConsistent(index)).toBe(0);

    // A newer terminal report (say, its webhook was delivered) still updates the summary.
    const delivered = summaryOf(id, "failed");
    delivered.webhook = {
      url: "https://example.com/hook",
      events: ["failed"],
      state: "delivered",
      attempts: 1,
      last_status: 200,
      next_attempt_at: null,
    };
    await index.record({ id, version: 6, summary: delivered, holdsSlot: false });
    const page = await index.listSummaries({ limit: 10, cursor: null, status: "failed" });
    expect(page.data).toEqual([delivered]);
  });

  it("does not let a reconcile that read a row before a record landed overwrite or release it", async () => {
    const index = freshIndex("stale-reconcile");
    // Reserved long ago and never started: a reconcile that reads it wants to release it.
    const released = idAt(Date.now() - 2 * NEVER_STARTED_AFTER_MS);
    const finished = idAt(Date.now() - 2 * NEVER_STARTED_AFTER_MS + 1);
    await reserve(index, released, { createdAt: Date.now() - 2 * NEVER_STARTED_AFTER_MS });
    await reserve(index, finished, { createdAt: Date.now() - 2 * NEVER_STARTED_AFTER_MS });
    await runInDurableObject(index, async (instance: ClientIndexObject) => {
      // The reconcile reads both rows, then awaits its first probe; both
      // records land during that await (a Durable Object's input gate is open
      // while it awaits another object).
      const reconcile = instance.alarm();
      await instance.record({ id: released, version: 1, summary: summaryOf(released, "generating"), holdsSlot: true });
      await instance.record({ id: finished, version: 1, summary: summaryOf(finished, "completed"), holdsSlot: false });
      await reconcile;
    });
    expect(await statusOf(index, released)).toBe("generating");
    expect(await statusOf(index, finished)).toBe("completed");
    expect(await expectCounterConsistent(index)).toBe(1);
  });
});

describe("client index: quota", () => {
  it("is right with 10,000 historical rows and a few active ones", async () => {
    const index = freshIndex("history");
    const start = Date.now() - 30 * 86_400_000;
    await runInDurableObject(index, (_instance: ClientIndexObject, ctx) => {
      // 10,000 terminal rows in one statement, each with a summary.
      ctx.storage.sql.exec(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
         INSERT INTO entries (id, status, version, created_at, model, video_bytes, summary)
         SELECT printf('gen_old%06d', i), CASE i % 3 WHEN 0 THEN 'completed' WHEN 1 THEN 'failed' ELSE 'canceled' END,
                4, ? + i, 'alibaba/wan2.5-t2v-preview', NULL, '{}'
         FROM n`,
        start,
      );
    });
    const active = [idAt(Date.now()), idAt(Date.now() + 1), idAt(Date.now() + 2)];
    for (const id of active) expect(await reserve(index, id, { maxActive: 3 })).toEqual({ kind: "created" });

    expect(await reserve(index, idAt(Date.now() + 3), { maxActive: 3 })).toEqual({ kind: "too_many", active: 3 });
    const fourth = idAt(Date.now() + 4);
    expect(await reserve(index, fourth, { maxActive: 4 })).toEqual({ kind: "created" });
    expect(await reserve(index, idAt(Date.now() + 5), { maxActive: 4 })).toEqual({ kind: "too_many", active: 4 });
    await record(index, fourth, 1, "completed");
    expect(await reserve(index, idAt(Date.now() + 6), { maxActive: 4 })).toEqual({ kind: "created" });
    expect(await expectCounterConsistent(index)).toBe(4);
  });

  it("reads the active count from its counter row, not from the rows", async () => {
    const index = freshIndex("counter");
    await reserve(index, idAt(Date.now()));
    // With the counter moved by hand, reserve follows the counter: it never
    // counts rows (which would say 1).
    await runInDurableObject(index, (_instance: ClientIndexObject, ctx) => {
      ctx.storage.sql.exec(`UPDATE counters SET value = 50 WHERE name = 'active'`);
    });
    expect(await reserve(index, idAt(Date.now() + 1), { maxActive: 10 })).toEqual({ kind: "too_many", active: 50 });
  });

  it("keeps the counter equal to the active rows through every kind of write", async () => {
    const index = freshIndex("consistency");
    const old = Date.now() - 2 * NEVER_STARTED_AFTER_MS;
    const storing = idAt(old);
    const canceled = idAt(old + 1);
    for (const id of [storing, canceled, idAt(old + 2), idAt(old + 3)]) await reserve(index, id, { createdAt: old });
    // A generation reports the creation time it was reserved with (the row takes the summary's).
    await record(index, storing, 1, "generating", old);
    await record(index, storing, 2, "storing", old);
    await record(index, canceled, 1, "canceled", old);
    await record(index, canceled, 1, "canceled", old);
    await record(index, idAt(Date.now()), 1, "queued"); // a generation the index did not know
    expect(await expectCounterConsistent(index)).toBe(4);
    // No generation object exists for any of the reserved ids, so the
    // reconcile releases the old active ones; the unknown one is too young.
    expect(await runDurableObjectAlarm(index)).toBe(true);
    expect(await expectCounterConsistent(index)).toBe(1);
  });
});

describe("client index: summaries", () => {
  it("pages summaries newest first and filters by status", async () => {
    const index = freshIndex("pages");
    const base = Date.now() - 60_000;
    const ids = Array.from({ length: 25 }, (_, i) => idAt(base + i * 10));
    const recorded = ids.map((id, i) =>
      summaryOf(id, i % 5 === 0 ? "completed" : "generating", { createdAt: base + i * 10 }),
    );
    for (const summary of recorded) {
      await reserve(index, summary.id, { createdAt: Date.parse(summary.created_at) });
      await index.record({ id: summary.id, version: 1, summary, holdsSlot: !isTerminal(summary.status) });
    }
    await reserve(index, idAt(Date.now())); // reserved, not reported yet: not listed

    const seen: GenerationSummary[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: GenerationSummary[]; nextCursor: string | null } = await index.listSummaries({
        limit: 10,
        cursor,
        status: null,
      });
      sizes.push(page.data.length);
      seen.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(sizes).toEqual([10, 10, 5]);
    expect(seen).toEqual([...recorded].reverse());

    const completed = await index.listSummaries({ limit: 100, cursor: null, status: "completed" });
    expect(completed.data.map((summary) => summary.id)).toEqual(ids.filter((_, i) => i % 5 === 0).reverse());
    expect(completed.nextCursor).toBeNull();
  });
});

describe("client index: idempotency keys", () => {
  it("returns the same generation for a key within 24 hours", async () => {
    const index = freshIndex("idem-fresh");
    const createdAt = Date.now() - IDEMPOTENCY_KEY_TTL_MS + 60_000;
    const id = idAt(createdAt);
    expect(await reserve(index, id, { createdAt, key: "k1", bodyHash: "a" })).toEqual({ kind: "created" });
    expect(await reserve(index, idAt(Date.now()), { key: "k1", bodyHash: "a" })).toEqual({ kind: "existing", id });
    expect(await reserve(index, idAt(Date.now()), { key: "k1", bodyHash: "b" })).toEqual({
      kind: "idempotency_conflict",
    });
  });

  it("creates a new generation for a key used more than 24 hours ago", async () => {
    const index = freshIndex("idem-expired");
    const createdAt = Date.now() - IDEMPOTENCY_KEY_TTL_MS - 1;
    expect(await reserve(index, idAt(createdAt), { createdAt, key: "k1", bodyHash: "a" })).toEqual({ kind: "created" });
    const second = idAt(Date.now());
    // Even with another body: the old use is forgotten.
    expect(await reserve(index, second, { key: "k1", bodyHash: "b" })).toEqual({ kind: "created" });
    expect(await reserve(index, idAt(Date.now()), { key: "k1", bodyHash: "b" })).toEqual({
      kind: "existing",
      id: second,
    });
  });

  it("forgets expired keys in its alarm, so the key table does not grow", async () => {
    const index = freshIndex("idem-sweep");
    const old = Date.now() - IDEMPOTENCY_KEY_TTL_MS - 1;
    // Finished generations, so only the expiry (not the reconcile) can forget their keys.
    for (const [i, key] of ["old-1", "old-2"].entries()) {
      const id = idAt(old + i);
      await reserve(index, id, { createdAt: old, key });
      await record(index, id, 1, "completed");
    }
    await reserve(index, idAt(Date.now()), { key: "fresh" });
    expect(await runDurableObjectAlarm(index)).toBe(true);
    const keys = await runInDurableObject(index, (_instance: ClientIndexObject, ctx) =>
      ctx.storage.sql
        .exec<{ key: string }>(`SELECT key FROM idempotency_keys ORDER BY key`)
        .toArray()
        .map((row) => row.key),
    );
    expect(keys).toEqual(["fresh"]);
  });
  it("wakes for the next key expiry when nothing is active", async () => {
    const index = freshIndex("idem-wake");
    const createdAt = Date.now();
    const id = idAt(createdAt);
    await reserve(index, id, { createdAt, key: "k" });
    await record(index, id, 1, "completed");
    expect(await runDurableObjectAlarm(index)).toBe(true);
    const alarm = await runInDurableObject(index, (_instance: ClientIndexObject, ctx) => ctx.storage.getAlarm());
    expect(alarm).toBe(createdAt + IDEMPOTENCY_KEY_TTL_MS);
  });
});

describe("client index: stream slots", () => {
  it("refuses a slot beyond the maximum until one is released", async () => {
    const index = freshIndex("streams");
    const until = Date.now() + 60_000;
    expect(await index.acquireStream("a", until, 2)).toBe(true);
    expect(await index.acquireStream("b", until, 2)).toBe(true);
    expect(await index.acquireStream("c", until, 2)).toBe(false);
    // Renewing a slot already held is not a new slot.
    expect(await index.acquireStream("a", until + 1000, 2)).toBe(true);
    await index.releaseStream("a");
    expect(await index.acquireStream("c", until, 2)).toBe(true);
    expect(await index.acquireStream("d", until, 2)).toBe(false);
  });

  it("frees a slot by itself once it expires", async () => {
    const index = freshIndex("streams-expire");
    const until = Date.now() + 1000;
    expect(await index.acquireStream("a", until, 1)).toBe(true);
    expect(await index.acquireStream("b", Date.now() + 60_000, 1)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, until - Date.now() + 50));
    expect(await index.acquireStream("b", Date.now() + 60_000, 1)).toBe(true);
    expect(await index.acquireStream("a", Date.now() + 60_000, 1)).toBe(false);
  });
});

describe("client index: reconciliation", () => {
  it("releases a reserved row whose generation never started", async () => {
    const index = freshIndex("never-started");
    await reserve(index, idAt(Date.now() - 120_000), { createdAt: Date.now() - 120_000, key: "k" });
    await reserve(index, idAt(Date.now()));
    expect(await activeCountOf(index)).toBe(2);
    expect(await runDurableObjectAlarm(index)).toBe(true);
    // The old one is released (its key with it); the fresh one may still be starting, so it stays.
    expect(await expectCounterConsistent(index)).toBe(1);
    expect(await reserve(index, idAt(Date.now()), { key: "k" })).toEqual({ kind: "created" });
  });

  it("applies a status update that was lost", async () => {
    const created = await create({ prompt: uniquePrompt("steps=completed") });
    await stepUntil(created.id, isStatus("completed"));
    // This client's index never heard after the reservation.
    const index = freshIndex("lost-update");
    await reserve(index, created.id);
    await index.record({ id: created.id, version: 1, summary: summaryOf(created.id, "generating"), holdsSlot: true });
    expect(await runDurableObjectAlarm(index)).toBe(true);
    expect(await statusOf(index, created.id)).toBe("completed");
    // The stored summary says so too.
    const page = await index.listSummaries({ limit: 10, cursor: null, status: "completed" });
    expect(page.data.map((summary) => [summary.id, summary.status])).toEqual([[created.id, "completed"]]);
    expect(await expectCounterConsistent(index)).toBe(0);
  });

  it("reconciles the other rows when one generation's probe throws", async () => {
    const index = freshIndex("failing-row");
    const old = Date.now() - 2 * NEVER_STARTED_AFTER_MS;
    // Rows are reconciled in id order: the broken one comes first.
    const broken = idAt(old);
    const neverStarted = idAt(old + 1);
    await reserve(index, broken, { createdAt: old });
    await reserve(index, neverStarted, { createdAt: old });
    // A generation whose stored state cannot be read: its probe throws.
    await runInDurableObject(env.GENERATION.getByName(broken), (_instance, ctx) => {
      // Its tables are created when a generation starts; this one never did.
      ctx.storage.sql.exec(`CREATE TABLE generation (one INTEGER PRIMARY KEY CHECK (one = 1), state TEXT NOT NULL)`);
      ctx.storage.sql.exec(`INSERT OR REPLACE INTO generation (one, state) VALUES (1, '{')`);
    });

    expect(await runDurableObjectAlarm(index)).toBe(true);
    expect(await statusOf(index, broken)).toBe("queued");
    expect(await statusOf(index, neverStarted)).toBeNull();
    expect(await expectCounterConsistent(index)).toBe(1);
    // The broken row is tried again later.
    const alarm = await runInDurableObject(index, (_instance: ClientIndexObject, ctx) => ctx.storage.getAlarm());
    expect(alarm).not.toBeNull();
  });
});

describe("client index: first-release data", () => {
  it("moves a first-release table into the new tables with its active count and keys", async () => {
    const index = freshIndex("legacy");
    const now = Date.now();
    const [a, b, c] = [idAt(now - 3), idAt(now - 2), idAt(now - 1)];
    await runInDurableObject(index, (_instance: ClientIndexObject, ctx) => {
      const sql = ctx.storage.sql;
      sql.exec(`CREATE TABLE generations (
        id TEXT PRIMARY KEY, status TEXT NOT NULL, created_at INTEGER NOT NULL,
        idempotency_key TEXT UNIQUE, body_hash TEXT NOT NULL)`);
      sql.exec(`INSERT INTO generations VALUES (?, 'completed', ?, 'k-old', 'h')`, a, now - 3);
      sql.exec(`INSERT INTO generations VALUES (?, 'generating', ?, NULL, 'h')`, b, now - 2);
      sql.exec(`INSERT INTO generations VALUES (?, 'queued', ?, NULL, 'h')`, c, now - 1);
      ensureSchema(ctx.storage);
      expect(sql.exec(`SELECT 1 FROM sqlite_master WHERE name = 'generations'`).toArray()).toEqual([]);
    });
    expect(await expectCounterConsistent(index)).toBe(2);
    const rows = await runInDurableObject(index, (_instance: ClientIndexObject, ctx) =>
      ctx.storage.sql.exec<{ id: string; status: string }>(`SELECT id, status FROM entries ORDER BY id DESC`).toArray(),
    );
    expect(rows).toEqual([
      { id: c, status: "queued" },
      { id: b, status: "generating" },
      { id: a, status: "completed" },
    ]);
    expect(await reserve(index, idAt(now), { key: "k-old", bodyHash: "h" })).toEqual({ kind: "existing", id: a });
  });
});
