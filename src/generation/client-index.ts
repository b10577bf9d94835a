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
        .exec<{ id: string; body_hash: string }>(`SELECT id, body_hash FROM generations WHERE idempotency_key = ?`, params.idempotencyKey)
        .toArray()[0];
      if (row) return row.body_hash === params.bodyHash ? { kind: "existing", id: row.id } : { kind: "idempotency_conflict" };
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
    return { kind: "created" };
  }

  async setStatus(id: string, status: GenerationStatus): Promise<void> {
    this.sql.exec(`UPDATE generations SET status = ? WHERE id = ?`, status, id);
  }

  /** Ids newest first; the cursor is the last id of the previous page (ids sort by creation time). */
  async list(params: { limit: number; cursor: string | null; status: GenerationStatus | null }): Promise<{ ids: string[]; nextCursor: string | null }> {
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
    const row = this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM generations WHERE status NOT IN ${TERMINAL_SQL}`).one();
    return row.n;
  }
}
