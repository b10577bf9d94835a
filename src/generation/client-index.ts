/**
 * One Durable Object per client: the list of its generations (for
 * `GET /v1/generations`), its active count (MAX_ACTIVE_PER_KEY) and its
 * idempotency keys. `reserve` does all its checks and its insert with
 * synchronous SQL and no await, so two concurrent creates cannot both pass.
 */
import { DurableObject } from "cloudflare:workers";
import type { GenerationStatus } from "./schema.ts";

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

const TERMINAL_SQL = `('completed', 'failed', 'canceled')`;
/** How often active rows are checked against their generations. */
export const RECONCILE_EVERY_MS = 5 * 60_000;
/** A reserved row whose generation never started after this long is released. */
export const NEVER_STARTED_AFTER_MS = 60_000;

export class ClientIndexObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS generations (
      id TEXT PRIMARY KEY,
      status TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      idempotency_key TEXT UNIQUE,
      body_hash TEXT NOT NULL
    )`);
  }

  async reserve(params: ReserveParams): Promise<ReserveResult> {
    if (params.idempotencyKey !== null) {
      const row = this.sql
        .exec<{ id: string; body_hash: string }>(
          `SELECT id, body_hash FROM generations WHERE idempotency_key = ?`,
          params.idempotencyKey,
        )
        .toArray()[0];
      if (row)
        return row.body_hash === params.bodyHash ? { kind: "existing", id: row.id } : { kind: "idempotency_conflict" };
    }
    const active = this.activeCount();
    if (active >= params.maxActive) return { kind: "too_many", active };
    this.sql.exec(
      `INSERT INTO generations (id, status, created_at, idempotency_key, body_hash) VALUES (?, 'queued', ?, ?, ?)`,
      params.id,
      params.createdAt,
      params.idempotencyKey,
      params.bodyHash,
    );
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + RECONCILE_EVERY_MS);
    return { kind: "created" };
  }

  /**
   * Reconciles active rows with their generations: a status update that was
   * lost is applied, and a row whose generation never started (the Worker
   * died between reserving and starting it) is released, so it stops counting
   * against MAX_ACTIVE_PER_KEY.
   */
  override async alarm(): Promise<void> {
    const rows = this.sql
      .exec<{ id: string; status: string; created_at: number }>(
        `SELECT id, status, created_at FROM generations WHERE status NOT IN ${TERMINAL_SQL}`,
      )
      .toArray();
    for (const row of rows) {
      const status = await this.env.GENERATION.getByName(row.id).probe();
      if (status === null) {
        if (Date.now() - row.created_at > NEVER_STARTED_AFTER_MS)
          this.sql.exec(`DELETE FROM generations WHERE id = ? AND status = ?`, row.id, row.status);
      } else if (status !== row.status) {
        this.sql.exec(`UPDATE generations SET status = ? WHERE id = ?`, status, row.id);
      }
    }
    if (this.activeCount() > 0) await this.ctx.storage.setAlarm(Date.now() + RECONCILE_EVERY_MS);
  }

  async setStatus(id: string, status: GenerationStatus): Promise<void> {
    this.sql.exec(`UPDATE generations SET status = ? WHERE id = ?`, status, id);
  }

  /** Ids newest first; the cursor is the last id of the previous page (ids sort by creation time). */
  async list(params: {
    limit: number;
    cursor: string | null;
    status: GenerationStatus | null;
  }): Promise<{ ids: string[]; nextCursor: string | null }> {
    const rows = this.sql
      .exec<{ id: string }>(
        `SELECT id FROM generations
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

  activeCount(): number {
    const row = this.sql
      .exec<{ n: number }>(`SELECT count(*) AS n FROM generations WHERE status NOT IN ${TERMINAL_SQL}`)
      .one();
    return row.n;
  }
}
