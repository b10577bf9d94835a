/**
 * The client index's SQLite tables, created when the object starts, and the
 * one-time move of a first-release `generations` table (status and
 * idempotency key per row, active count by `count(*)`) into them.
 */

/** An Idempotency-Key returns the same generation for this long after its creation (docs/api.md#idempotency). */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60_000;

export const ACTIVE_STATUSES_SQL = `('queued', 'generating', 'storing')`;

/**
 * Rows stored before slots existed have no `slot` column: a running row held
 * its slot; the counter already counts exactly those.
 */
function addSlotColumn(sql: SqlStorage): void {
  const columns = sql.exec<{ name: string }>(`SELECT name FROM pragma_table_info('entries')`).toArray();
  if (columns.some((column) => column.name === "slot")) return;
  sql.exec(`ALTER TABLE entries ADD COLUMN slot INTEGER NOT NULL DEFAULT 0`);
  sql.exec(`UPDATE entries SET slot = 1 WHERE status IN ${ACTIVE_STATUSES_SQL}`);
}

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
    summary TEXT,
    slot INTEGER NOT NULL DEFAULT 0
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
  // Slots still held by deleted generations whose upstream task may run, until it ends or `until_ms` (its deadline).
  sql.exec(`CREATE TABLE IF NOT EXISTS held_slots (id TEXT PRIMARY KEY, until_ms INTEGER NOT NULL)`);
  // What each generation cost upstream (its latest figure), by the UTC month it was created in; deleting a generation keeps it.
  sql.exec(`CREATE TABLE IF NOT EXISTS spend (id TEXT PRIMARY KEY, month TEXT NOT NULL, credits REAL NOT NULL)`);
  sql.exec(`CREATE INDEX IF NOT EXISTS spend_by_month ON spend (month)`);
  addSlotColumn(sql);

  const legacy = sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'generations'`).toArray();
  if (legacy.length > 0) {
    storage.transactionSync(() => {
      sql.exec(
        `INSERT OR IGNORE INTO entries (id, status, version, created_at, slot)
         SELECT id, status, 0, created_at, status IN ${ACTIVE_STATUSES_SQL} FROM generations`,
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
