/**
 * One Durable Object per client: a summary row per generation (for
 * `GET /v1/generations` in one call), its active count (MAX_ACTIVE_PER_KEY),
 * its idempotency keys (remembered 24 hours) and its open SSE streams.
 *
 * Every write is synchronous SQL with no await between reading a row and
 * writing it, and the active count is a counter kept in that same SQL, so a
 * quota check reads one row whatever the client's history. Rows only move
 * forward: an update older than the stored one (by the generation's
 * `version`) is ignored, and a terminal row never becomes active again.
 */
import { DurableObject } from "cloudflare:workers";
import { errorMessage } from "../lib/errors.ts";
import { logProblem } from "../lib/log.ts";
import { GENERATION_STATUSES, type Generation, type GenerationStatus } from "./schema.ts";

/**
 * The public Generation without its signed video link (links are signed when
 * read, never stored): `video.link` is the URL the reader signs.
 */
export type GenerationSummary = Omit<Generation, "video"> & {
  video: (Omit<NonNullable<Generation["video"]>, "url"> & { link: string }) | null;
};

/**
 * What a generation tells its client's index. `version` increases with every
 * change of the generation (starting at 1; a reserved row is version 0).
 */
export interface IndexEntry {
  id: string;
  version: number;
  summary: GenerationSummary;
}

export type ReserveResult =
  | { kind: "created" }
  | { kind: "existing"; id: string }
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

/** How often active rows are checked against their generations. */
export const RECONCILE_EVERY_MS = 5 * 60_000;
/** A reserved row whose generation never started after this long is released. */
export const NEVER_STARTED_AFTER_MS = 60_000;
/** An Idempotency-Key returns the same generation for this long after its creation (CONTRACT.md §3). */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60_000;
/**
 * How long the id of a deleted generation is remembered, so that an update
 * still in flight when it was deleted cannot bring its row back. The object
 * sends nothing once it is marked for deletion, so only an update already
 * on its way can arrive late: seconds, not a day.
 */
export const FORGOTTEN_TTL_MS = 24 * 60 * 60_000;

/** What `GET /v1/usage` reports: the rows this index still keeps. */
export interface Usage {
  byStatus: Record<GenerationStatus, number>;
  byModel: Record<string, number>;
  videos: { count: number; bytes: number };
}

const ACTIVE_STATUSES: readonly GenerationStatus[] = ["queued", "generating", "storing"];
const ACTIVE_SQL = `('queued', 'generating', 'storing')`;

export const isActiveStatus = (status: string): boolean => (ACTIVE_STATUSES as readonly string[]).includes(status);

/** How a status change moves the active count. */
const activeDelta = (from: string | null, to: string | null): number =>
  (to !== null && isActiveStatus(to) ? 1 : 0) - (from !== null && isActiveStatus(from) ? 1 : 0);

/** A link without its query (`expires` and `signature`). */
const unsigned = (url: string): string => url.split("?", 1)[0] ?? url;

export function toSummary(generation: Generation): GenerationSummary {
  const { video, ...rest } = generation;
  return {
    ...rest,
    video: video
      ? { content_type: video.content_type, bytes: video.bytes, sha256: video.sha256, link: unsigned(video.url) }
      : null,
  };
}

interface EntryRow {
  id: string;
  status: string;
  version: number;
  created_at: number;
  [column: string]: SqlStorageValue;
}

/**
 * Creates the tables, and moves a first-release `generations` table (status
 * and idempotency key per row, active count by `count(*)`) into them once.
 */
export function ensureSchema(storage: DurableObjectStorage): void {
  const sql = storage.sql;
  // `status`, `model`, `created_at` and `video_bytes` are columns (not only
  // inside `summary`) so usage reports can aggregate without parsing JSON.
  sql.exec(`CREATE TABLE IF NOT EXISTS entries (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    model TEXT,
    video_bytes INTEGER,
    summary TEXT
  )`);
  sql.exec(`CREATE INDEX IF NOT EXISTS entries_by_status ON entries (status, id)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS idempotency_keys (
    key TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  )`);
  sql.exec(`CREATE INDEX IF NOT EXISTS idempotency_keys_by_expiry ON idempotency_keys (expires_at)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS stream_slots (token TEXT PRIMARY KEY, until_ms INTEGER NOT NULL)`);
  // Generations deleted for good (purged or expired), until `until_ms`: `record` ignores them.
  sql.exec(`CREATE TABLE IF NOT EXISTS forgotten (id TEXT PRIMARY KEY, until_ms INTEGER NOT NULL)`);

  const legacy = sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'generations'`).toArray();
  if (legacy.length > 0) {
    storage.transactionSync(() => {
      sql.exec(
        `INSERT OR IGNORE INTO entries (id, status, version, created_at) SELECT id, status, 0, created_at FROM generations`,
      );
      sql.exec(
        `INSERT OR IGNORE INTO idempotency_keys (key, id, body_hash, expires_at)
         SELECT idempotency_key, id, body_hash, created_at + ? FROM generations WHERE idempotency_key IS NOT NULL`,
        IDEMPOTENCY_KEY_TTL_MS,
      );
      sql.exec(`DROP TABLE generations`);
      // Counted once here; from now on the counter moves with every write.
      sql.exec(
        `INSERT OR REPLACE INTO counters (name, value)
         VALUES ('active', (SELECT count(*) FROM entries WHERE status IN ${ACTIVE_SQL}))`,
      );
    });
  }
  sql.exec(`INSERT OR IGNORE INTO counters (name, value) VALUES ('active', 0)`);
}

export class ClientIndexObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ensureSchema(ctx.storage);
  }

  /**
   * Checks the idempotency key and the quota and inserts the row, all in
   * synchronous SQL, so two concurrent creates cannot both pass.
   */
  async reserve(params: ReserveParams): Promise<ReserveResult> {
    const now = Date.now();
    if (params.idempotencyKey !== null) {
      const key = this.sql
        .exec<{ id: string; body_hash: string; expires_at: number }>(
          `SELECT id, body_hash, expires_at FROM idempotency_keys WHERE key = ?`,
          params.idempotencyKey,
        )
        .toArray()[0];
      if (key && key.expires_at > now) {
        return key.body_hash === params.bodyHash ? { kind: "existing", id: key.id } : { kind: "idempotency_conflict" };
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
    await this.scheduleAlarmBy(now + RECONCILE_EVERY_MS);
    return { kind: "created" };
  }

  /**
   * Stores what a generation reports about itself. Ignored when `version` is
   * not newer than the stored row's, and when it would make a terminal row
   * active again. A generation the index does not know (its reserved row was
   * released while it was still starting) is added.
   */
  async record(entry: IndexEntry): Promise<void> {
    const { summary } = entry;
    // Deleted for good: an update that was on its way when it went brings nothing back.
    if (this.sql.exec(`SELECT 1 FROM forgotten WHERE id = ?`, entry.id).toArray().length > 0) return;
    const row = this.sql
      .exec<{ status: string; version: number }>(`SELECT status, version FROM entries WHERE id = ?`, entry.id)
      .toArray()[0];
    if (row) {
      if (entry.version <= row.version) return;
      if (!isActiveStatus(row.status) && isActiveStatus(summary.status)) return;
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
    if (isActiveStatus(summary.status)) await this.scheduleAlarmBy(Date.now() + RECONCILE_EVERY_MS);
  }

  /**
   * A status without a summary (what the generation sends until it reports
   * with `record`). Never makes a terminal row active again.
   */
  async setStatus(id: string, status: GenerationStatus): Promise<void> {
    const row = this.sql.exec<{ status: string }>(`SELECT status FROM entries WHERE id = ?`, id).toArray()[0];
    if (!row || row.status === status) return;
    if (!isActiveStatus(row.status) && isActiveStatus(status)) return;
    this.sql.exec(
      `UPDATE entries SET status = ?1, summary = json_set(summary, '$.status', ?1) WHERE id = ?2`,
      status,
      id,
    );
    this.adjustActive(activeDelta(row.status, status));
  }

  /**
   * Removes a generation deleted for good (purged, or its retention ran
   * out): its row (and so its place in the active count and in usage), its
   * idempotency keys (a replay creates a new generation rather than reach
   * the deleted id), and remembers its id for FORGOTTEN_TTL_MS so that a
   * late `record` cannot bring the row back. Idempotent.
   */
  async forget(id: string): Promise<void> {
    const now = Date.now();
    const row = this.sql.exec<{ status: string }>(`SELECT status FROM entries WHERE id = ?`, id).toArray()[0];
    this.sql.exec(`INSERT OR REPLACE INTO forgotten (id, until_ms) VALUES (?, ?)`, id, now + FORGOTTEN_TTL_MS);
    this.sql.exec(`DELETE FROM idempotency_keys WHERE id = ?`, id);
    if (row) {
      this.sql.exec(`DELETE FROM entries WHERE id = ?`, id);
      this.adjustActive(activeDelta(row.status, null));
    }
    await this.scheduleAlarmBy(now + FORGOTTEN_TTL_MS);
  }

  /**
   * Counts over the rows this index keeps (deleted generations have none),
   * created at or after `sinceMs` (null: all): one query per figure, no call
   * to any generation. Rows whose generation has not reported a summary yet
   * are left out, as in the list.
   */
  async usage(sinceMs: number | null): Promise<Usage> {
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
  async listSummaries(params: ListSummariesParams): Promise<{ data: GenerationSummary[]; nextCursor: string | null }> {
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

  /** Ids newest first; the cursor is the last id of the previous page (ids sort by creation time). */
  async list(params: ListSummariesParams): Promise<{ ids: string[]; nextCursor: string | null }> {
    const rows = this.sql
      .exec<{ id: string }>(
        `SELECT id FROM entries
         WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR id < ?2)
         ORDER BY id DESC LIMIT ?3`,
        params.status,
        params.cursor,
        params.limit + 1,
      )
      .toArray();
    const page = rows.slice(0, params.limit).map((row) => row.id);
    return { ids: page, nextCursor: rows.length > params.limit ? (page.at(-1) ?? null) : null };
  }

  /** Active generations (queued, generating, storing): one counter row, not a count over the history. */
  activeCount(): number {
    return this.sql.exec<{ value: number }>(`SELECT value FROM counters WHERE name = 'active'`).one().value;
  }

  /**
   * Takes one of at most `max` stream slots until `untilMs`. Acquiring a
   * token already held extends it. Expired slots are freed first, so a
   * stream that ended without releasing its slot holds it only until then.
   */
  async acquireStream(token: string, untilMs: number, max: number): Promise<boolean> {
    this.sql.exec(`DELETE FROM stream_slots WHERE until_ms <= ?`, Date.now());
    const held = this.sql.exec(`SELECT 1 FROM stream_slots WHERE token = ?`, token).toArray().length > 0;
    if (!held) {
      const open = this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM stream_slots`).one().n;
      if (open >= max) return false;
    }
    this.sql.exec(`INSERT OR REPLACE INTO stream_slots (token, until_ms) VALUES (?, ?)`, token, untilMs);
    return true;
  }

  async releaseStream(token: string): Promise<void> {
    this.sql.exec(`DELETE FROM stream_slots WHERE token = ?`, token);
  }

  /**
   * Forgets expired idempotency keys and reconciles active rows with their
   * generations: a status update that was lost is applied, and a row whose
   * generation never started (the Worker died between reserving and starting
   * it) is released, so it stops counting against MAX_ACTIVE_PER_KEY. Each
   * write is compare-and-set against the row as read, because a `record` can
   * land while a probe is awaited; a probe that throws skips only its row.
   */
  override async alarm(): Promise<void> {
    this.sql.exec(`DELETE FROM idempotency_keys WHERE expires_at <= ?`, Date.now());
    this.sql.exec(`DELETE FROM forgotten WHERE until_ms <= ?`, Date.now());
    const rows = this.sql
      .exec<EntryRow>(`SELECT id, status, version, created_at FROM entries WHERE status IN ${ACTIVE_SQL} ORDER BY id`)
      .toArray();
    for (const row of rows) {
      let probed: GenerationStatus | null;
      try {
        probed = await this.env.GENERATION.getByName(row.id).probe();
      } catch (error) {
        logProblem({ event: "index.probe_failed", generation: row.id, error: errorMessage(error) });
        continue;
      }
      this.applyProbe(row, probed);
    }
    const next = [
      this.activeCount() > 0 ? Date.now() + RECONCILE_EVERY_MS : null,
      this.sql.exec<{ at: number | null }>(`SELECT min(expires_at) AS at FROM idempotency_keys`).one().at,
      this.sql.exec<{ at: number | null }>(`SELECT min(until_ms) AS at FROM forgotten`).one().at,
    ].filter((at): at is number => at !== null);
    if (next.length > 0) await this.ctx.storage.setAlarm(Math.min(...next));
  }

  private applyProbe(read: EntryRow, probed: GenerationStatus | null): void {
    if (probed === null) {
      if (Date.now() - read.created_at <= NEVER_STARTED_AFTER_MS) return;
      const deleted = this.sql
        .exec(
          `DELETE FROM entries WHERE id = ? AND status = ? AND version = ? RETURNING id`,
          read.id,
          read.status,
          read.version,
        )
        .toArray();
      if (deleted.length === 0) return;
      this.adjustActive(activeDelta(read.status, null));
      this.sql.exec(`DELETE FROM idempotency_keys WHERE id = ?`, read.id);
    } else if (probed !== read.status) {
      const updated = this.sql
        .exec(
          `UPDATE entries SET status = ?1, summary = json_set(summary, '$.status', ?1)
           WHERE id = ?2 AND status = ?3 AND version = ?4 RETURNING id`,
          probed,
          read.id,
          read.status,
          read.version,
        )
        .toArray();
      if (updated.length > 0) this.adjustActive(activeDelta(read.status, probed));
    }
  }

  private adjustActive(delta: number): void {
    if (delta !== 0) this.sql.exec(`UPDATE counters SET value = value + ? WHERE name = 'active'`, delta);
  }

  /** Makes sure the alarm fires no later than `at`. */
  private async scheduleAlarmBy(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }
}
