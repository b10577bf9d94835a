/**
 * The client index's rows, in synchronous SQL: a summary row per generation
 * (what `GET /v1/generations` lists in one call), the active count that
 * MAX_ACTIVE_PER_KEY checks, idempotency keys, and the ids of generations
 * deleted for good.
 *
 * No await runs between reading a row and writing it, and the active count
 * is a counter kept in that same SQL, so a quota check reads one row whatever
 * the client's history. Rows only move forward: an update older than the
 * stored one (by the generation's revision, `version`) is ignored, and a
 * terminal row never becomes active again.
 */
import type { GenerationSummary } from "../generation/view.ts";
import { GENERATION_STATUSES, type GenerationStatus } from "../vocabulary.ts";
import { ACTIVE_STATUSES_SQL, IDEMPOTENCY_KEY_TTL_MS } from "./schema.ts";

/**
 * What a generation tells its client's index. `version` is the revision of
 * the generation's state it was rendered from (a reserved row is version 0).
 */
export interface IndexEntry {
  id: string;
  version: number;
  summary: GenerationSummary;
}

export type ReserveResult =
  | { kind: "created" }
  | { kind: "existing"; id: string }
  /** The key's generation was deleted for good (purged, or expired): nothing is created for it again. */
  | { kind: "gone"; id: string }
  | { kind: "idempotency_conflict" }
  | { kind: "too_many"; active: number };

export interface ReserveParams {
  id: string;
  createdAt: number;
  idempotencyKey: string | null;
  bodyHash: string;
  maxActive: number;
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
  [column: string]: SqlStorageValue;
}

/**
 * How long the id of a deleted generation is remembered: longer than an
 * Idempotency-Key lives, so a replay never revives it, and an update still
 * in flight when it was deleted cannot bring its row back.
 */
export const FORGOTTEN_TTL_MS = IDEMPOTENCY_KEY_TTL_MS + 60 * 60_000;

const ACTIVE: readonly string[] = ["queued", "generating", "storing"] satisfies GenerationStatus[];
export const isActiveStatus = (status: string): boolean => ACTIVE.includes(status);

/** How a status change moves the active count. */
const activeDelta = (from: string | null, to: string | null): number =>
  (to !== null && isActiveStatus(to) ? 1 : 0) - (from !== null && isActiveStatus(from) ? 1 : 0);

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
    const active = this.activeCount();
    if (active >= params.maxActive) return { kind: "too_many", active };
    this.sql.exec(
      `INSERT INTO entries (id, status, version, created_at) VALUES (?, 'queued', 0, ?)`,
      params.id,
      params.createdAt,
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
      .exec<{ status: string; version: number }>(`SELECT status, version FROM entries WHERE id = ?`, entry.id)
      .toArray()[0];
    if (row) {
      if (entry.version <= row.version) return false;
      if (!isActiveStatus(row.status) && isActiveStatus(summary.status)) return false;
    }
    // `created_at` becomes the generation's own (the reserved row has the Worker's, a moment earlier),
    // so a usage report's `since` agrees with the `created_at` clients see.
    this.sql.exec(
      `INSERT INTO entries (id, status, version, created_at, model, video_bytes, summary) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
       ON CONFLICT (id) DO UPDATE SET status = ?2, version = ?3, created_at = ?4, model = ?5, video_bytes = ?6, summary = ?7`,
      entry.id,
      summary.status,
      entry.version,
      Date.parse(summary.created_at),
      summary.model,
      summary.video?.bytes ?? null,
      JSON.stringify(summary),
    );
    this.adjustActive(activeDelta(row?.status ?? null, summary.status));
    return true;
  }

  /**
   * Removes a generation deleted for good (purged, or its retention ran out):
   * its row (and so its place in the active count and in usage), and
   * remembers its id for FORGOTTEN_TTL_MS. Its idempotency keys stay, so a
   * replay is told the generation is gone instead of creating another.
   * Idempotent.
   */
  forget(id: string, now: number): void {
    const row = this.sql.exec<{ status: string }>(`SELECT status FROM entries WHERE id = ?`, id).toArray()[0];
    this.sql.exec(`INSERT OR REPLACE INTO forgotten (id, until_ms) VALUES (?, ?)`, id, now + FORGOTTEN_TTL_MS);
    if (row) {
      this.sql.exec(`DELETE FROM entries WHERE id = ?`, id);
      this.adjustActive(activeDelta(row.status, null));
    }
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

  /** Active generations (queued, generating, storing): one counter row, not a count over the history. */
  activeCount(): number {
    return this.sql.exec<{ value: number }>(`SELECT value FROM counters WHERE name = 'active'`).one().value;
  }

  activeRows(): EntryRow[] {
    return this.sql
      .exec<EntryRow>(
        `SELECT id, status, version, created_at FROM entries WHERE status IN ${ACTIVE_STATUSES_SQL} ORDER BY id`,
      )
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
    this.adjustActive(activeDelta(read.status, null));
    this.sql.exec(`DELETE FROM idempotency_keys WHERE id = ?`, read.id);
    return true;
  }

  /** Applies a status its generation reported to a probe, if the row is still as `read`. */
  correct(read: EntryRow, status: GenerationStatus): void {
    if (status === read.status) return;
    const updated = this.sql
      .exec(
        `UPDATE entries SET status = ?1, summary = json_set(summary, '$.status', ?1)
         WHERE id = ?2 AND status = ?3 AND version = ?4 RETURNING id`,
        status,
        read.id,
        read.status,
        read.version,
      )
      .toArray();
    if (updated.length > 0) this.adjustActive(activeDelta(read.status, status));
  }

  /** Forgets expired idempotency keys and deleted ids; returns the next time either expires (null: none). */
  prune(now: number): number | null {
    this.sql.exec(`DELETE FROM idempotency_keys WHERE expires_at <= ?`, now);
    this.sql.exec(`DELETE FROM forgotten WHERE until_ms <= ?`, now);
    const keys = this.sql.exec<{ at: number | null }>(`SELECT min(expires_at) AS at FROM idempotency_keys`).one().at;
    const forgotten = this.sql.exec<{ at: number | null }>(`SELECT min(until_ms) AS at FROM forgotten`).one().at;
    const next = [keys, forgotten].filter((at): at is number => at !== null);
    return next.length === 0 ? null : Math.min(...next);
  }

  private adjustActive(delta: number): void {
    if (delta !== 0) this.sql.exec(`UPDATE counters SET value = value + ? WHERE name = 'active'`, delta);
  }
}
