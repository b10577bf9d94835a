/**
 * A generation's persistence, in its Durable Object's SQLite storage:
 *
 *   generation  one row: the GenerationState as JSON (what the reducer reads), and the meter's counts
 *   events      the timeline, append-only, `seq` is the page cursor
 *   snapshots   the public Generation at each status change (link unsigned), for the SSE stream
 *   alarm       one row: the time the pending alarm was set for
 *
 * Every method is synchronous SQL except `scheduleAlarm`, whose row write and
 * `setAlarm` call happen together before its only await, so a caller that
 * computed the time from the state it just saved never races another writer.
 */
import type { TimelineNote } from "./lifecycle.ts";
import type { GenerationSummary } from "./client-index.ts";
import type { TimelineEvent } from "./schema.ts";
import type { GenerationState } from "./state.ts";
import { Meter, type MeterCounts } from "./meter.ts";

export interface TimelinePage {
  data: TimelineEvent[];
  /** The `seq` of the last event returned when more follow, else null. */
  nextCursor: number | null;
}

export class GenerationStore {
  private readonly sql: SqlStorage;
  /** This generation's resource counts (meter.ts), saved with the state row. */
  readonly meter: Meter;

  constructor(private readonly storage: DurableObjectStorage) {
    this.sql = storage.sql;
    const schema = { rowsRead: 0, rowsWritten: 0 };
    const ddl = (query: string): void => {
      const cursor = this.sql.exec(query);
      cursor.toArray();
      schema.rowsRead += cursor.rowsRead;
      schema.rowsWritten += cursor.rowsWritten;
    };
    ddl(
      `CREATE TABLE IF NOT EXISTS generation (one INTEGER PRIMARY KEY CHECK (one = 1), state TEXT NOT NULL, meter TEXT)`,
    );
    ddl(
      `CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, type TEXT NOT NULL, detail TEXT NOT NULL)`,
    );
    ddl(`CREATE TABLE IF NOT EXISTS snapshots (seq INTEGER PRIMARY KEY AUTOINCREMENT, generation TEXT NOT NULL)`);
    ddl(`CREATE TABLE IF NOT EXISTS alarm (one INTEGER PRIMARY KEY CHECK (one = 1), at INTEGER NOT NULL)`);
    // A generation created before the meter existed has no such column yet.
    try {
      ddl(`SELECT meter FROM generation LIMIT 0`);
    } catch {
      ddl(`ALTER TABLE generation ADD COLUMN meter TEXT`);
    }
    const saved = this.sql.exec<{ meter: string | null }>(`SELECT meter FROM generation WHERE one = 1`);
    const row = saved.toArray()[0];
    schema.rowsRead += saved.rowsRead;
    this.meter = new Meter(row?.meter ? (JSON.parse(row.meter) as MeterCounts) : null);
    this.meter.sql(schema);
  }

  /** Runs one statement to the end and counts the rows it read and wrote. */
  private run<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]): T[] {
    const cursor = this.sql.exec<T>(query, ...bindings);
    const rows = cursor.toArray();
    this.meter.sql(cursor);
    return rows;
  }

  load(): GenerationState | null {
    const row = this.run<{ state: string }>(`SELECT state FROM generation WHERE one = 1`)[0];
    return row ? (JSON.parse(row.state) as GenerationState) : null;
  }

  save(state: GenerationState): void {
    this.run(
      `INSERT OR REPLACE INTO generation (one, state, meter) VALUES (1, ?, ?)`,
      JSON.stringify(state),
      JSON.stringify(this.meter.snapshot()),
    );
  }

  appendTimeline(at: number, notes: readonly TimelineNote[]): void {
    for (const note of notes) {
      this.run(`INSERT INTO events (at, type, detail) VALUES (?, ?, ?)`, at, note.type, JSON.stringify(note.detail));
    }
  }

  /** Oldest first, after the event numbered `cursor` (exclusive); `limit` events at most. */
  timeline(limit: number, cursor: number | null): TimelinePage {
    const rows = this.run<{ seq: number; at: number; type: string; detail: string }>(
      `SELECT seq, at, type, detail FROM events WHERE seq > ? ORDER BY seq LIMIT ?`,
      cursor ?? 0,
      limit + 1,
    );
    const page = rows.slice(0, limit);
    return {
      data: page.map((row) => ({
        at: new Date(row.at).toISOString(),
        type: row.type,
        detail: JSON.parse(row.detail) as TimelineEvent["detail"],
      })),
      nextCursor: rows.length > limit ? (page.at(-1)?.seq ?? null) : null,
    };
  }

  /** Keeps the Generation as it is at a status change (without a signed link); returns its sequence number. */
  snapshot(summary: GenerationSummary): number {
    const [row] = this.run<{ seq: number }>(
      `INSERT INTO snapshots (generation) VALUES (?) RETURNING seq`,
      JSON.stringify(summary),
    );
    if (row === undefined) throw new Error("INSERT … RETURNING returned no row");
    return row.seq;
  }

  /** The Generation at each status change after `afterSeq`, oldest first (links to be signed by the reader). */
  changes(afterSeq: number): { seq: number; summary: GenerationSummary }[] {
    return this.run<{ seq: number; generation: string }>(
      `SELECT seq, generation FROM snapshots WHERE seq > ? ORDER BY seq`,
      afterSeq,
    ).map((row) => ({ seq: row.seq, summary: JSON.parse(row.generation) as GenerationSummary }));
  }

  /** The time the pending alarm was set for (null when none is). */
  alarmAt(): number | null {
    return this.run<{ at: number }>(`SELECT at FROM alarm WHERE one = 1`)[0]?.at ?? null;
  }

  /** Sets (or, for null, deletes) the alarm, remembering the time it was set for. */
  async scheduleAlarm(at: number | null): Promise<void> {
    if (at === null) {
      this.run(`DELETE FROM alarm`);
      await this.storage.deleteAlarm();
      return;
    }
    this.run(`INSERT OR REPLACE INTO alarm (one, at) VALUES (1, ?)`, at);
    this.meter.setAlarm();
    await this.storage.setAlarm(at);
  }
}
