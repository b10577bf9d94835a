/**
 * A generation's persistence, in its Durable Object's SQLite storage:
 *
 *   generation  one row: the GenerationState as JSON (what the reducer reads), and the meter's counts
 *   events      the timeline, append-only, `seq` is the page cursor
 *   snapshots   the public Generation at each status change (link unsigned), for the SSE stream
 *   alarm       one row: the time the pending alarm was set for
 *
 * The tables are created by `create()`, when a generation starts, and never
 * otherwise: an object that has none (an id that was never started, or one
 * that was erased) answers every read with nothing and ignores writes, so a
 * request for it leaves no storage behind. `erase()` deletes everything,
 * alarm included, and puts the store back in that state.
 *
 * Every method is synchronous SQL except `scheduleAlarm` and `erase`;
 * `scheduleAlarm`'s row write and `setAlarm` call happen together before its
 * only await, so a caller that computed the time from the state it just saved
 * never races another writer.
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
  readonly meter = new Meter();
  /**
   * Whether the tables exist; null until first asked. Only this store
   * creates or deletes them, so reading sqlite_master once is enough.
   */
  private tables: boolean | null = null;

  constructor(private readonly storage: DurableObjectStorage) {
    this.sql = storage.sql;
  }

  /** Whether the tables exist; the first time they are found, the counts saved with the state are taken up. */
  private get ready(): boolean {
    if (this.tables === null) {
      const found = this.run(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'generation'`).length > 0;
      this.tables = found;
      if (found) {
        this.addMeterColumn();
        const saved = this.run<{ meter: string | null }>(`SELECT meter FROM generation WHERE one = 1`)[0];
        if (saved?.meter) this.meter.addSaved(JSON.parse(saved.meter) as MeterCounts);
      }
    }
    return this.tables;
  }

  /** Creates the tables (for a generation being started); harmless when they exist. */
  create(): void {
    this.run(
      `CREATE TABLE IF NOT EXISTS generation (one INTEGER PRIMARY KEY CHECK (one = 1), state TEXT NOT NULL, meter TEXT)`,
    );
    this.run(
      `CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, type TEXT NOT NULL, detail TEXT NOT NULL)`,
    );
    this.run(`CREATE TABLE IF NOT EXISTS snapshots (seq INTEGER PRIMARY KEY AUTOINCREMENT, generation TEXT NOT NULL)`);
    this.run(`CREATE TABLE IF NOT EXISTS alarm (one INTEGER PRIMARY KEY CHECK (one = 1), at INTEGER NOT NULL)`);
    this.addMeterColumn();
    this.tables = true;
  }

  /** A generation created before the meter existed has no such column yet. */
  private addMeterColumn(): void {
    try {
      this.run(`SELECT meter FROM generation LIMIT 0`);
    } catch {
      this.run(`ALTER TABLE generation ADD COLUMN meter TEXT`);
    }
  }

  /**
   * Deletes all of this object's storage, the alarm with it (`deleteAll`
   * clears the alarm from compatibility date 2026-02-24; wrangler.jsonc's is
   * later). Afterwards the store behaves as if no generation was ever started.
   */
  async erase(): Promise<void> {
    // Nothing may write while the deletion runs; if it fails the tables are still there.
    this.tables = false;
    try {
      await this.storage.deleteAll();
    } catch (error) {
      this.tables = true;
      throw error;
    }
  }

  /** Runs one statement to the end and counts the rows it read and wrote. */
  private run<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]): T[] {
    const cursor = this.sql.exec<T>(query, ...bindings);
    const rows = cursor.toArray();
    this.meter.sql(cursor);
    return rows;
  }

  load(): GenerationState | null {
    if (!this.ready) return null;
    const row = this.run<{ state: string }>(`SELECT state FROM generation WHERE one = 1`)[0];
    return row ? (JSON.parse(row.state) as GenerationState) : null;
  }

  save(state: GenerationState): void {
    if (!this.ready) return;
    this.run(
      `INSERT OR REPLACE INTO generation (one, state, meter) VALUES (1, ?, ?)`,
      JSON.stringify(state),
      JSON.stringify(this.meter.snapshot()),
    );
  }

  appendTimeline(at: number, notes: readonly TimelineNote[]): void {
    if (!this.ready) return;
    for (const note of notes) {
      this.run(`INSERT INTO events (at, type, detail) VALUES (?, ?, ?)`, at, note.type, JSON.stringify(note.detail));
    }
  }

  /** Oldest first, after the event numbered `cursor` (exclusive); `limit` events at most. */
  timeline(limit: number, cursor: number | null): TimelinePage {
    if (!this.ready) return { data: [], nextCursor: null };
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
    if (!this.ready) return 0;
    const [row] = this.run<{ seq: number }>(
      `INSERT INTO snapshots (generation) VALUES (?) RETURNING seq`,
      JSON.stringify(summary),
    );
    if (row === undefined) throw new Error("INSERT … RETURNING returned no row");
    return row.seq;
  }

  /** The Generation at each status change after `afterSeq`, oldest first (links to be signed by the reader). */
  changes(afterSeq: number): { seq: number; summary: GenerationSummary }[] {
    if (!this.ready) return [];
    return this.run<{ seq: number; generation: string }>(
      `SELECT seq, generation FROM snapshots WHERE seq > ? ORDER BY seq`,
      afterSeq,
    ).map((row) => ({ seq: row.seq, summary: JSON.parse(row.generation) as GenerationSummary }));
  }

  /** The time the pending alarm was set for (null when none is). */
  alarmAt(): number | null {
    if (!this.ready) return null;
    return this.run<{ at: number }>(`SELECT at FROM alarm WHERE one = 1`)[0]?.at ?? null;
  }

  /** Sets (or, for null, deletes) the alarm, remembering the time it was set for. */
  async scheduleAlarm(at: number | null): Promise<void> {
    if (!this.ready) return;
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
