/**
 * A client's open SSE streams (`GET …/stream`), as slots in its index: at
 * most a few at once, each held until its stream ends or its time is up, so a
 * stream that ended without releasing its slot holds it only until then.
 */
export class StreamSlots {
  constructor(private readonly sql: SqlStorage) {}

  /** Takes one of at most `max` slots until `untilMs`; taking a token already held extends it. */
  acquire(token: string, untilMs: number, max: number, now: number): boolean {
    this.sql.exec(`DELETE FROM stream_slots WHERE until_ms <= ?`, now);
    const held = this.sql.exec(`SELECT 1 FROM stream_slots WHERE token = ?`, token).toArray().length > 0;
    if (!held) {
      const open = this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM stream_slots`).one().n;
      if (open >= max) return false;
    }
    this.sql.exec(`INSERT OR REPLACE INTO stream_slots (token, until_ms) VALUES (?, ?)`, token, untilMs);
    return true;
  }

  release(token: string): void {
    this.sql.exec(`DELETE FROM stream_slots WHERE token = ?`, token);
  }
}
