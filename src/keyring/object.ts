/**
 * KeyringObject: the one Durable Object (binding KEYRING, name "relay") that
 * keeps the relay key: 32 random bytes created on the first request and
 * returned unchanged forever after. Everything the relay must be able to
 * verify for as long as it runs (generation ids) is derived from it, so the
 * key lives in durable storage rather than in a secret an operator rotates.
 */
import { DurableObject } from "cloudflare:workers";

export const RELAY_KEY_BYTES = 32;
/** The name of the single KeyringObject instance. */
export const KEYRING_OBJECT_NAME = "relay";

export class KeyringObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS relay_key (one INTEGER PRIMARY KEY CHECK (one = 1), key BLOB NOT NULL)`,
    );
  }

  /** The relay key. Created by the first call; there is no await between the insert and the read. */
  relayKey(): ArrayBuffer {
    const sql = this.ctx.storage.sql;
    const fresh = crypto.getRandomValues(new Uint8Array(RELAY_KEY_BYTES));
    sql.exec(`INSERT OR IGNORE INTO relay_key (one, key) VALUES (1, ?)`, fresh.buffer);
    return sql.exec<{ key: ArrayBuffer }>(`SELECT key FROM relay_key WHERE one = 1`).one().key;
  }
}
