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
 * The state last loaded or committed is kept in memory and handed out
 * again until the next commit: only this store writes the generation's row
 * (one store per object instance, and an instance whose storage failed is
 * discarded by the runtime), so a repeated load (the alarm and `apply()`
 * read the state several times per run) costs no SQL at all. Whatever else
 * edits the row in place (a test) calls `reload()` afterwards. The states
 * handed out are never changed in place: the reducer always makes new ones.
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

/** The most rows a generation's timeline keeps: past it, the oldest webhook attempts are folded into one row. */
export const MAX_TIMELINE_ROWS = 2_000;
/** A fold brings the timeline back to this many rows, so it does not fold again at every new row. */
const TIMELINE_ROWS_AFTER_FOLD = MAX_TIMELINE_ROWS - 100;
/** The timeline entry that stands for the webhook attempts folded away. */
export const FOLDED_ATTEMPTS = "webhook.attempts_folded";
/** Timeline entries one INSERT carries: three parameters each, within the runtime's 100 per statement. */
const ENTRIES_PER_INSERT = 30;

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
  /** The state may go unwritten until the next change (lifecycle.ts Transition.deferrable). */
  deferrable?: boolean;
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
  /** The state as last loaded or committed (see load()); undefined: read the row. */
  private cached: Loaded | null | undefined = undefined;

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

  /** The three tables, in one call (a call per statement costs a crossing into the runtime each). */
  private create(): void {
    this.run(
      `CREATE TABLE IF NOT EXISTS generation (one INTEGER PRIMARY KEY CHECK (one = 1), state TEXT NOT NULL, meter TEXT, revision INTEGER NOT NULL DEFAULT 0);
       CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, type TEXT NOT NULL, detail TEXT NOT NULL);
       CREATE TABLE IF NOT EXISTS snapshots (seq INTEGER PRIMARY KEY, generation TEXT NOT NULL)`,
    );
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
    if (this.cached !== undefined) return this.cached;
    const row = this.run<{ state: string; revision: number }>(
      `SELECT state, revision FROM generation WHERE one = 1`,
    )[0];
    this.cached = row ? { state: JSON.parse(row.state) as GenerationState, revision: row.revision } : null;
    return this.cached;
  }

  /** Forgets the state kept in memory: the next load reads the row (after something other than this store changed it). */
  reload(): void {
    this.cached = undefined;
  }

  /**
   * Persists one applied event: the state row (one row written, when the
   * state changed), its timeline entries and a snapshot. A deferrable change
   * that is nothing but a state change is only kept in memory, under the
   * same revision, and written by the next commit (or never, which loses
   * nothing: see lifecycle.ts Transition.deferrable). The first commit of
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
    if (isDeferred(change) && previous !== null) {
      // Kept in memory, same revision: the next commit writes it with its own change.
      this.cached = { state: change.state, revision };
      return { revision, snapshotSeq: 0 };
    }
    this.cached = undefined;
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
    // Sequence numbers only grow, so the timeline can only be over the limit once they are.
    if (this.append(change.at, change.timeline) > MAX_TIMELINE_ROWS) this.foldTimeline();
    let snapshotSeq = 0;
    if (change.snapshot !== null) {
      const [row] = this.run<{ seq: number }>(
        `INSERT INTO snapshots (generation) VALUES (?) RETURNING seq`,
        JSON.stringify(change.snapshot),
      );
      snapshotSeq = row?.seq ?? 0;
    }
    const state = change.state ?? previous?.state;
    if (state !== undefined) this.cached = { state, revision };
    return { revision, snapshotSeq };
  }

  /**
   * Appends timeline entries, up to ENTRIES_PER_INSERT per statement (one call
   * into the runtime each, within its 100 bound parameters); answers the
   * last `seq` given (0 for none).
   */
  private append(at: number, entries: readonly TimelineEntry[]): number {
    let lastSeq = 0;
    for (let start = 0; start < entries.length; start += ENTRIES_PER_INSERT) {
      const chunk = entries.slice(start, start + ENTRIES_PER_INSERT);
      const rows = this.run<{ seq: number }>(
        `INSERT INTO events (at, type, detail) VALUES ${chunk.map(() => "(?, ?, ?)").join(", ")} RETURNING seq`,
        ...chunk.flatMap((entry) => [at, entry.type, JSON.stringify(entry.detail)]),
      );
      for (const row of rows) lastSeq = Math.max(lastSeq, row.seq);
    }
    return lastSeq;
  }

  /**
   * Keeps the timeline within MAX_TIMELINE_ROWS: the oldest webhook attempts
   * are folded into one `webhook.attempts_folded` row that keeps how many
   * there were, the time span and the last attempt's status. Other entries
   * are few by construction (status changes, changes of upstream outcome).
   */
  private foldTimeline(): void {
    const total = this.run<{ n: number }>(`SELECT count(*) AS n FROM events`)[0]?.n ?? 0;
    if (total <= MAX_TIMELINE_ROWS) return;
    const attempts = this.run<{ seq: number; at: number; detail: string }>(
      `SELECT seq, at, detail FROM events WHERE type = 'webhook.attempt' ORDER BY seq LIMIT ?`,
      total - TIMELINE_ROWS_AFTER_FOLD,
    );
    const first = attempts[0];
    const last = attempts.at(-1);
    if (first === undefined || last === undefined) return;
    const folded = this.run<{ seq: number; detail: string }>(
      `SELECT seq, detail FROM events WHERE type = ? ORDER BY seq LIMIT 1`,
      FOLDED_ATTEMPTS,
    )[0];
    const before = folded === undefined ? null : (JSON.parse(folded.detail) as { count: number; from: string });
    const lastDetail = JSON.parse(last.detail) as Record<string, unknown>;
    const detail = {
      count: (before?.count ?? 0) + attempts.length,
      from: before?.from ?? new Date(first.at).toISOString(),
      to: new Date(last.at).toISOString(),
      last_status: typeof lastDetail.status === "number" ? lastDetail.status : null,
      last_error: typeof lastDetail.error === "string" ? lastDetail.error : null,
    };
    // The fold row takes the place of the first attempt folded (or stays where an earlier fold put it).
    const at = folded?.seq ?? first.seq;
    this.run(`UPDATE events SET type = ?, detail = ? WHERE seq = ?`, FOLDED_ATTEMPTS, JSON.stringify(detail), at);
    this.run(`DELETE FROM events WHERE type = 'webhook.attempt' AND seq <= ? AND seq <> ?`, last.seq, at);
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
    this.cached = undefined;
    try {
      await this.storage.deleteAll();
    } catch (error) {
      this.tables = true;
      throw error;
    }
  }
}

/** A change that is only a deferrable state change: nothing else to write with it. */
function isDeferred(change: Change): change is Change & { state: GenerationState } {
  return (
    change.deferrable === true &&
    change.state !== null &&
    change.timeline.length === 0 &&
    change.snapshot === null &&
    change.forgetHistory !== true
  );
}
