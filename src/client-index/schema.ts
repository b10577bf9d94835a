/**
 * The client index's SQLite tables, created when the object starts, and the
 * one-time move of a first-release `generations` table (status and
 * idempotency key per row, active count by `count(*)`) into them.
 */

/** An Idempotency-Key returns the same generation for this long after its creation (docs/api.md#idempotency). */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60_000;

export const ACTIVE_STATUSES_SQL = `('queued', 'generating', 'storing')`;

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
  // Generations deleted for good (purged or expired), until `until_ms`: `record` ignores them, a replay never revives them.
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
         VALUES ('active', (SELECT count(*) FROM entries WHERE status IN ${ACTIVE_STATUSES_SQL}))`,
      );
    });
  }
  sql.exec(`INSERT OR IGNORE INTO counters (name, value) VALUES ('active', 0)`);
}
