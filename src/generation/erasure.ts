/**
 * Deleting a generation for good (CONTRACT.md §3 purge, §10 retention): its R2
 * objects first, then its client-index row, then all of its Durable Object's
 * storage (alarm included), so a failure part-way leaves the mark, and the
 * alarm set from it, to try the rest again. A purge and the alarm share one
 * erasure in flight rather than race.
 */
import type { Config } from "../config.ts";
import { errorMessage } from "../lib/errors.ts";
import { logEvent, logProblem } from "../lib/log.ts";
import { deleteGenerationObjects } from "../storage/delete-generation-objects.ts";
import { expiresAt, markForErasure } from "./lifecycle.ts";
import type { GenerationStore } from "./store.ts";
import type { Watchers } from "./watchers.ts";

export interface ErasureHost {
  readonly env: Env;
  readonly store: GenerationStore;
  /** The metered bucket (meter.ts). */
  readonly videos: R2Bucket;
  readonly watchers: Watchers;
  config(): Config;
  /** The object's SQLite size, reported in the last log line. */
  databaseSize(): number;
}

export class Eraser {
  private running: Promise<void> | null = null;

  constructor(private readonly host: ErasureHost) {}

  /**
   * Marks the generation for deletion when its retention has run out by
   * `dueBy` (never while a webhook of it is pending: expiresAt is null then).
   * True when it is marked, now or before (an erasure that was interrupted).
   */
  markIfExpired(dueBy: number): boolean {
    const { store } = this.host;
    const state = store.load();
    if (!state) return false;
    if (state.erasing) return true;
    const expiry = expiresAt(state, this.host.config().retentionMs);
    if (expiry === null || expiry > dueBy) return false;
    store.save(markForErasure(state, "expired", Date.now()));
    return true;
  }

  /** Deletes a generation marked for deletion; false (logged) when a step failed and the alarm must retry. */
  async eraseOrRetryLater(): Promise<boolean> {
    this.running ??= this.erase().finally(() => (this.running = null));
    try {
      await this.running;
      return true;
    } catch (error) {
      const generation = this.host.store.load()?.id ?? "unknown";
      logProblem({ event: "generation.erase_failed", generation, error: errorMessage(error) });
      return false;
    }
  }

  private async erase(): Promise<void> {
    const { env, store, videos, watchers } = this.host;
    const state = store.load();
    if (!state?.erasing) return;
    const deleted = await deleteGenerationObjects(videos, state.id);
    store.meter.indexRequest();
    await env.CLIENT_INDEX.getByName(state.clientId).forget(state.id);
    watchers.closeAll();
    // The last figures this generation will have: its storage goes next.
    const event = state.erasing.reason === "purged" ? "generation.purged" : "generation.expired";
    const sqliteBytes = this.host.databaseSize();
    const meter = store.meter.snapshot();
    await store.erase();
    logEvent(state, { event, status: state.status, r2_keys_deleted: deleted, sqlite_bytes: sqliteBytes, meter });
  }
}
