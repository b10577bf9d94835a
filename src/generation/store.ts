/**
 * A generation's persistence, in its Durable Object's SQLite storage:
 *
 *   generation  one row: the GenerationState as JSON (what the reducer reads),
 *               its revision (one more per change), and the meter's counts
 *   events      the timeline, append-only, `seq` is the page cursor
 *   snapshots   the Generation at each status change (link unsigned), for the live feed
 *
 * Only the object's `apply()` writes, through `commit`: one call per applied
 * lifecycle event, synchronous SQL with no await, so a request that runs
 * while the alarm awaits a fetch always sees a consistent state.
 *
 * The tables are created by the commit that creates the generation and never
 * otherwise: an object that has none (an id that was never started, or one
 * that was erased) answers every read with nothing, so a request for it
 * leaves no storage behind. `erase()` deletes everything, alarm included.
 */
import type { TimelineEvent } from "../api/schemas.ts";
import type { TimelineEntry } from "./lifecycle.ts";
import { Meter, type MeterCounts } from "./meter.ts";
import type { GenerationState } from "./state.ts";
import type { GenerationSummary } from "./view.ts";

export interface TimelinePage {
  data: TimelineEvent[];
  /** The `seq` of the last event returned when more follow, else null. */
  nextCursor: number | null;
}

/** The state as stored, with its revision: one more per committed change, what the client index versions rows by. */
export interface Loaded {
  state: GenerationState;
  revision: number;
}

export interface Change {
  at: number;
  /** The state after the event; null when the event changed nothing in it. */
  state: GenerationState | null;
  timeline: readonly TimelineEntry[];
  /** The Generation after a status change, for the live feed's history. */
  snapshot: GenerationSummary | null;
  /** The generation is being erased: its timeline and snapshots go now (what the client made is not kept). */
  forgetHistory?: boolean;
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

  /** Whether the tables exist; the first time they are found, older layouts are brought up to date and the saved counts taken up. */
  private get ready(): boolean {
    if (this.tables === null) {
      const found = this.run(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'generation'`).length > 0;
      this.tables = found;
      if (found) {
        this.upgrade();
        const saved = this.run<{ meter: string | null }>(`SELECT meter FROM generation WHERE one = 1`)[0];
        if (saved?.meter) this.meter.addSaved(JSON.parse(saved.meter) as MeterCounts);
      }
    }
    return this.tables;
  }

  private create(): void {
    this.run(
      `CREATE TABLE IF NOT EXISTS generation (one INTEGER PRIMARY KEY CHECK (one = 1), state TEXT NOT NULL, meter TEXT, revision INTEGER NOT NULL DEFAULT 0)`,
    );
    this.run(
      `CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, type TEXT NOT NULL, detail TEXT NOT NULL)`,
    );
    this.run(`CREATE TABLE IF NOT EXISTS snapshots (seq INTEGER PRIMARY KEY AUTOINCREMENT, generation TEXT NOT NULL)`);
    this.tables = true;
  }

  /** Generations stored by earlier releases: no meter or revision column, and an `alarm` table no longer used. */
  private upgrade(): void {
    const columns = new Set(
      this.run<{ name: string }>(`SELECT name FROM pragma_table_info('generation')`).map((c) => c.name),
    );
    if (!columns.has("meter")) this.run(`ALTER TABLE generation ADD COLUMN meter TEXT`);
    if (!columns.has("revision")) this.run(`ALTER TABLE generation ADD COLUMN revision INTEGER NOT NULL DEFAULT 0`);
    this.run(`DROP TABLE IF EXISTS alarm`);
  }

  /** Runs one statement to the end and counts the rows it read and wrote. */
  private run<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]): T[] {
    const cursor = this.sql.exec<T>(query, ...bindings);
    const rows = cursor.toArray();
    this.meter.sql(cursor);
    return rows;
  }

  load(): Loaded | null {
    if (!this.ready) return null;
    const row = this.run<{ state: string; revision: number }>(
      `SELECT state, revision FROM generation WHERE one = 1`,
    )[0];
    return row ? { state: JSON.parse(row.state) as GenerationState, revision: row.revision } : null;
  }

  /**
   * Persists one applied event: the state row (one row written, when the
   * state changed), its timeline entries and a snapshot. The first commit of
   * a generation creates the tables. Returns the revision now stored and the
   * snapshot's sequence number (0 without one).
   */
  commit(change: Change, previous: Loaded | null): { revision: number; snapshotSeq: number } {
    let revision = previous?.revision ?? 0;
    if (previous === null) {
      if (change.state === null) return { revision, snapshotSeq: 0 };
      this.create();
    } else if (!this.ready) {
      return { revision, snapshotSeq: 0 };
    }
    if (change.state !== null) {
      revision++;
      this.run(
        `INSERT INTO generation (one, state, meter, revision) VALUES (1, ?1, ?2, ?3)
         ON CONFLICT (one) DO UPDATE SET state = ?1, meter = ?2, revision = ?3`,
        JSON.stringify(change.state),
        JSON.stringify(this.meter.snapshot()),
        revision,
      );
    }
    if (change.forgetHistory === true) {
      this.run(`DELETE FROM events`);
      this.run(`DELETE FROM snapshots`);
    }
    for (const entry of change.timeline) {
      this.run(
        `INSERT INTO events (at, type, detail) VALUES (?, ?, ?)`,
        change.at,
        entry.type,
        JSON.stringify(entry.detail),
      );
    }
    let snapshotSeq = 0;
    if (change.snapshot !== null) {
      const [row] = this.run<{ seq: number }>(
        `INSERT INTO snapshots (generation) VALUES (?) RETURNING seq`,
        JSON.stringify(change.snapshot),
      );
      snapshotSeq = row?.seq ?? 0;
    }
    return { revision, snapshotSeq };
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

  /** The Generation at each status change after `afterSeq`, oldest first (links to be signed by the reader). */
  changes(afterSeq: number): { seq: number; summary: GenerationSummary }[] {
    if (!this.ready) return [];
    return this.run<{ seq: number; generation: string }>(
      `SELECT seq, generation FROM snapshots WHERE seq > ? ORDER BY seq`,
      afterSeq,
    ).map((row) => ({ seq: row.seq, summary: JSON.parse(row.generation) as GenerationSummary }));
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
}
