/**
 * The client index's rows, in synchronous SQL: a summary row per generation
 * (what `GET /v1/generations` lists in one call), the slots that
 * MAX_ACTIVE_PER_KEY counts, idempotency keys, the ids of generations deleted
 * for good, and what each generation cost upstream (for CREDIT_BUDGETS).
 *
 * A generation holds a slot while it runs, and after a cancel or a purge for
 * as long as the upstream task it started may still run (src/generation/
 * state.ts `holdsSlot`): the count is of upstream work, not of rows. It is a
 * counter kept in the same SQL, so a quota check reads one row whatever the
 * client's history; no await runs between reading a row and writing it.
 * Rows only move forward: an update older than the stored one (by the
 * generation's revision, `version`) is ignored, a terminal row never becomes
 * active again, and a slot once given back is never taken again.
 */
import type { GenerationSummary } from "../generation/view.ts";
import { utcMonth } from "../lib/months.ts";
import { GENERATION_STATUSES, type GenerationStatus } from "../vocabulary.ts";
import { IDEMPOTENCY_KEY_TTL_MS } from "./schema.ts";

/**
 * What a generation tells its client's index. `version` is the revision of
 * the generation's state it was rendered from (a reserved row is version 0).
 */
export interface IndexEntry {
  id: string;
  version: number;
  summary: GenerationSummary;
  /** Whether the generation holds one of the client's slots. */
  holdsSlot: boolean;
}

/** What a deleted generation still tells its index: its slot (until when, at most) and its credits. */
export interface Forgetting {
  /** The generation's deadline while its upstream task may still run; null when it holds no slot. */
  slotUntil: number | null;
  credits: number | null;
  /** `YYYY-MM`, UTC: the month its credits count in. */
  month: string;
}

export type ReserveResult =
  | { kind: "created" }
  | { kind: "existing"; id: string }
  /** The key's generation was deleted for good (purged, or expired): nothing is created for it again. */
  | { kind: "gone"; id: string }
  | { kind: "idempotency_conflict" }
  | { kind: "over_budget"; used: number; budget: number }
  | { kind: "too_many"; active: number };

export interface ReserveParams {
  id: string;
  createdAt: number;
  idempotencyKey: string | null;
  bodyHash: string;
  maxActive: number;
  /** The client's credit budget for `month` (CREDIT_BUDGETS), or null for none. */
  budget: number | null;
  /** `YYYY-MM`, UTC: the month the generation is created in. */
  month: string;
  /**
   * The generation's summary as its object creates it (generation/view.ts
   * `createdSummary`): listed from the reservation on. Null or absent: the
   * row is listed once the generation reports itself.
   */
  summary?: GenerationSummary | null;
}

export interface ListSummariesParams {
  limit: number;
  /** The last id of the previous page (ids sort by creation time). */
  cursor: string | null;
  status: GenerationStatus | null;
}

/** What `GET /v1/usage` reports: the rows this index still keeps. */
export interface Usage {
  byStatus: Record<GenerationStatus, number>;
  byModel: Record<string, number>;
  videos: { count: number; bytes: number };
}

/** A row as reconciliation reads it. */
export interface EntryRow {
  id: string;
  status: string;
  version: number;
  created_at: number;
  slot: number;
  [column: string]: SqlStorageValue;
}

/**
 * How long the id of a deleted generation is remembered: longer than an
 * Idempotency-Key lives, so a replay never revives it, and an update still
 * in flight when it was deleted cannot bring its row back.
 */
const FORGOTTEN_TTL_MS = IDEMPOTENCY_KEY_TTL_MS + 60 * 60_000;

const ACTIVE: readonly string[] = ["queued", "generating", "storing"] satisfies GenerationStatus[];
const isActiveStatus = (status: string): boolean => ACTIVE.includes(status);

/** The month before `month` (`YYYY-MM`). */
function previousMonth(month: string): string {
  const [year = 0, number = 1] = month.split("-").map(Number);
  return new Date(Date.UTC(year, number - 2, 1)).toISOString().slice(0, 7);
}

export class IndexEntries {
  constructor(private readonly sql: SqlStorage) {}

  /** Checks the idempotency key and the quota and inserts the row, so two concurrent creates cannot both pass. */
  reserve(params: ReserveParams, now: number): ReserveResult {
    if (params.idempotencyKey !== null) {
      const key = this.sql
        .exec<{ id: string; body_hash: string; expires_at: number }>(
          `SELECT id, body_hash, expires_at FROM idempotency_keys WHERE key = ?`,
          params.idempotencyKey,
        )
        .toArray()[0];
      if (key && key.expires_at > now) {
        if (key.body_hash !== params.bodyHash) return { kind: "idempotency_conflict" };
        return this.isForgotten(key.id) ? { kind: "gone", id: key.id } : { kind: "existing", id: key.id };
      }
    }
    if (params.budget !== null) {
      const used = this.creditsUsed(params.month);
      if (used >= params.budget) return { kind: "over_budget", used, budget: params.budget };
    }
    const active = this.activeCount();
    if (active >= params.maxActive) return { kind: "too_many", active };
    const summary = params.summary ?? null;
    this.sql.exec(
      `INSERT INTO entries (id, status, version, created_at, model, summary, slot) VALUES (?, 'queued', 0, ?, ?, ?, 1)`,
      params.id,
      params.createdAt,
      summary?.model ?? null,
      summary === null ? null : JSON.stringify(summary),
    );
    this.adjustActive(1);
    if (params.idempotencyKey !== null) {
      // Replaces an expired key of the same name.
      this.sql.exec(
        `INSERT OR REPLACE INTO idempotency_keys (key, id, body_hash, expires_at) VALUES (?, ?, ?, ?)`,
        params.idempotencyKey,
        params.id,
        params.bodyHash,
        params.createdAt + IDEMPOTENCY_KEY_TTL_MS,
      );
    }
    return { kind: "created" };
  }

  /**
   * Stores what a generation reports about itself; false when it is ignored:
   * a deleted generation's, one not newer than the stored row, or one that
   * would make a terminal row active again. A generation the index does not
   * know (its reserved row was released while it was still starting) is added.
   */
  record(entry: IndexEntry): boolean {
    const { summary } = entry;
    if (this.isForgotten(entry.id)) return false;
    const row = this.sql
      .exec<{ status: string; version: number; slot: number }>(
        `SELECT status, version, slot FROM entries WHERE id = ?`,
        entry.id,
      )
      .toArray()[0];
    if (row) {
      if (entry.version <= row.version) return false;
      if (!isActiveStatus(row.status) && isActiveStatus(summary.status)) return false;
    }
    const createdAt = Date.parse(summary.created_at);
    // A slot given back is never taken again (a late report of an older state).
    const slot = entry.holdsSlot && (row === undefined || row.slot === 1) ? 1 : 0;
    // `created_at` becomes the generation's own (the reserved row has the Worker's, a moment earlier),
    // so a usage report's `since` agrees with the `created_at` clients see.
    this.sql.exec(
      `INSERT INTO entries (id, status, version, created_at, model, video_bytes, summary, slot) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
       ON CONFLICT (id) DO UPDATE SET status = ?2, version = ?3, created_at = ?4, model = ?5, video_bytes = ?6, summary = ?7, slot = ?8`,
      entry.id,
      summary.status,
      entry.version,
      createdAt,
      summary.model,
      summary.video?.bytes ?? null,
      JSON.stringify(summary),
      slot,
    );
    this.adjustActive(slot - (row?.slot ?? 0));
    const credits = summary.upstream.credits ?? null;
    if (credits !== null) this.spent(entry.id, utcMonth(createdAt), credits);
    return true;
  }

  /**
   * Removes a generation deleted for good (purged, or its retention ran out):
   * its row (and so its place in the active count and in usage), and
   * remembers its id for FORGOTTEN_TTL_MS. Its idempotency keys stay, so a
   * replay is told the generation is gone instead of creating another.
   * Idempotent.
   */
  forget(id: string, forgetting: Forgetting, now: number): void {
    const row = this.sql.exec<{ slot: number }>(`SELECT slot FROM entries WHERE id = ?`, id).toArray()[0];
    this.sql.exec(`INSERT OR REPLACE INTO forgotten (id, until_ms) VALUES (?, ?)`, id, now + FORGOTTEN_TTL_MS);
    if (row) {
      this.sql.exec(`DELETE FROM entries WHERE id = ?`, id);
      // Its upstream task may still run: the slot stays held, without the row, until it ends or the deadline.
      if (row.slot === 1 && forgetting.slotUntil !== null) {
        this.sql.exec(`INSERT OR IGNORE INTO held_slots (id, until_ms) VALUES (?, ?)`, id, forgetting.slotUntil);
      } else {
        this.adjustActive(-row.slot);
      }
    }
    if (forgetting.credits !== null) this.spent(id, forgetting.month, forgetting.credits);
  }

  /** Gives back the slot a deleted generation still held, with its final credit figure. Idempotent. */
  releaseSlot(id: string, credits: number | null, month: string): void {
    const released = this.sql.exec(`DELETE FROM held_slots WHERE id = ? RETURNING id`, id).toArray();
    if (released.length > 0) this.adjustActive(-1);
    if (credits !== null) this.spent(id, month, credits);
  }

  /** What the client's generations created in `month` (`YYYY-MM`) cost upstream, deleted ones included. */
  creditsUsed(month: string): number {
    return this.sql
      .exec<{ used: number }>(`SELECT coalesce(sum(credits), 0) AS used FROM spend WHERE month = ?`, month)
      .one().used;
  }

  /** A generation's latest credit figure: it replaces the earlier one, never adds to it. */
  private spent(id: string, month: string, credits: number): void {
    this.sql.exec(
      `INSERT INTO spend (id, month, credits) VALUES (?1, ?2, ?3)
       ON CONFLICT (id) DO UPDATE SET credits = ?3 WHERE credits <> ?3`,
      id,
      month,
      credits,
    );
  }

  isForgotten(id: string): boolean {
    return this.sql.exec(`SELECT 1 FROM forgotten WHERE id = ?`, id).toArray().length > 0;
  }

  /**
   * Counts over the rows this index keeps (deleted generations have none),
   * created at or after `sinceMs` (null: all): one query per figure, no call
   * to any generation. Rows whose generation has not reported a summary yet
   * are left out, as in the list.
   */
  usage(sinceMs: number | null): Usage {
    const where = `summary IS NOT NULL AND (?1 IS NULL OR created_at >= ?1)`;
    const byStatus = Object.fromEntries(GENERATION_STATUSES.map((status) => [status, 0])) as Record<
      GenerationStatus,
      number
    >;
    for (const row of this.sql
      .exec<{ status: string; n: number }>(
        `SELECT status, count(*) AS n FROM entries WHERE ${where} GROUP BY status`,
        sinceMs,
      )
      .toArray()) {
      if (row.status in byStatus) byStatus[row.status as GenerationStatus] = row.n;
    }
    const byModel: Record<string, number> = {};
    for (const row of this.sql
      .exec<{ model: string; n: number }>(
        `SELECT model, count(*) AS n FROM entries WHERE ${where} AND model IS NOT NULL GROUP BY model ORDER BY model`,
        sinceMs,
      )
      .toArray()) {
      byModel[row.model] = row.n;
    }
    const videos = this.sql
      .exec<{ n: number; bytes: number }>(
        `SELECT count(*) AS n, coalesce(sum(video_bytes), 0) AS bytes FROM entries WHERE ${where} AND video_bytes IS NOT NULL`,
        sinceMs,
      )
      .one();
    return { byStatus, byModel, videos: { count: videos.n, bytes: videos.bytes } };
  }

  /** Summaries newest first; rows whose generation has not reported one yet are left out. */
  listSummaries(params: ListSummariesParams): { data: GenerationSummary[]; nextCursor: string | null } {
    const rows = this.sql
      .exec<{ id: string; summary: string }>(
        `SELECT id, summary FROM entries
         WHERE summary IS NOT NULL AND (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR id < ?2)
         ORDER BY id DESC LIMIT ?3`,
        params.status,
        params.cursor,
        params.limit + 1,
      )
      .toArray();
    const page = rows.slice(0, params.limit);
    return {
      // Rows recorded before `expires_at` existed lack it.
      data: page.map((row) => {
        const summary = JSON.parse(row.summary) as GenerationSummary;
        return { ...summary, expires_at: summary.expires_at ?? null };
      }),
      nextCursor: rows.length > params.limit ? (page.at(-1)?.id ?? null) : null,
    };
  }

  /** Slots held (generations running, or waiting for an upstream task they started): one counter row. */
  activeCount(): number {
    return this.sql.exec<{ value: number }>(`SELECT value FROM counters WHERE name = 'active'`).one().value;
  }

  /** Rows that hold a slot, for reconciliation. */
  slotRows(): EntryRow[] {
    return this.sql
      .exec<EntryRow>(`SELECT id, status, version, created_at, slot FROM entries WHERE slot = 1 ORDER BY id`)
      .toArray();
  }

  /** Releases a row whose generation never started, if it is still as `read`; true when it was. */
  release(read: EntryRow): boolean {
    const deleted = this.sql
      .exec(
        `DELETE FROM entries WHERE id = ? AND status = ? AND version = ? RETURNING id`,
        read.id,
        read.status,
        read.version,
      )
      .toArray();
    if (deleted.length === 0) return false;
    this.adjustActive(-read.slot);
    this.sql.exec(`DELETE FROM idempotency_keys WHERE id = ?`, read.id);
    return true;
  }

  /** Applies what its generation answered a probe (status, slot), if the row is still as `read`. */
  correct(read: EntryRow, probed: { status: GenerationStatus; holdsSlot: boolean }): void {
    const slot = probed.holdsSlot ? read.slot : 0;
    if (probed.status === read.status && slot === read.slot) return;
    const updated = this.sql
      .exec(
        `UPDATE entries SET status = ?1, slot = ?2, summary = json_set(summary, '$.status', ?1)
         WHERE id = ?3 AND status = ?4 AND version = ?5 AND slot = ?6 RETURNING id`,
        probed.status,
        slot,
        read.id,
        read.status,
        read.version,
        read.slot,
      )
      .toArray();
    if (updated.length > 0) this.adjustActive(slot - read.slot);
  }

  /**
   * Forgets expired idempotency keys and deleted ids, gives back the slots of
   * deleted generations whose deadline passed, and drops credit figures of
   * months before the last; returns the next time something expires (null: none).
   */
  prune(now: number): number | null {
    this.sql.exec(`DELETE FROM idempotency_keys WHERE expires_at <= ?`, now);
    this.sql.exec(`DELETE FROM forgotten WHERE until_ms <= ?`, now);
    const lapsed = this.sql.exec(`DELETE FROM held_slots WHERE until_ms <= ? RETURNING id`, now).toArray();
    this.adjustActive(-lapsed.length);
    this.sql.exec(`DELETE FROM spend WHERE month < ?`, previousMonth(utcMonth(now)));
    const next = this.sql
      .exec<{ at: number | null }>(
        `SELECT min(at) AS at FROM (
           SELECT min(expires_at) AS at FROM idempotency_keys
           UNION ALL SELECT min(until_ms) FROM forgotten
           UNION ALL SELECT min(until_ms) FROM held_slots)`,
      )
      .one().at;
    return next;
  }

  private adjustActive(delta: number): void {
    if (delta !== 0) this.sql.exec(`UPDATE counters SET value = value + ? WHERE name = 'active'`, delta);
  }
}
