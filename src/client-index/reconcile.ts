/**
 * The client index's alarm: forgets expired idempotency keys and deleted
 * ids, gives back slots whose deadline passed, and reconciles the rows that
 * hold a slot with their generations. A status or slot update that was lost
 * is applied; a row whose generation never started (the Worker
 * died between reserving it and starting it) is released, so it stops
 * counting against MAX_ACTIVE_PER_KEY, and the `data:` inputs that create
 * stored in R2 for it are deleted. Each write is compare-and-set against the
 * row as read, because a `record` can land while a probe is awaited; a probe
 * that throws skips only its row.
 */
import { errorMessage } from "../lib/errors.ts";
import { logProblem } from "../lib/log.ts";
import { deleteStoredInputs } from "../models/inline-media.ts";
import type { GenerationStatus } from "../vocabulary.ts";
import type { IndexEntries } from "./entries.ts";

/** How often active rows are checked against their generations. */
export const RECONCILE_EVERY_MS = 5 * 60_000;
/** A reserved row whose generation never started after this long is released. */
export const NEVER_STARTED_AFTER_MS = 60_000;

/** Runs one reconciliation; returns when the alarm should run next (null: nothing left to watch). */
export async function reconcile(env: Env, entries: IndexEntries, now: number): Promise<number | null> {
  const expiring = entries.prune(now);
  for (const row of entries.slotRows()) {
    let probed: { status: GenerationStatus; holdsSlot: boolean } | null;
    try {
      probed = await env.GENERATION.getByName(row.id).probe();
    } catch (error) {
      logProblem({ event: "index.probe_failed", generation: row.id, error: errorMessage(error) });
      continue;
    }
    if (probed !== null) {
      entries.correct(row, probed);
      continue;
    }
    if (Date.now() - row.created_at <= NEVER_STARTED_AFTER_MS) continue;
    // Never started: the row stops counting, and the inputs stored for it go.
    if (entries.release(row)) await deleteStoredInputs(env.VIDEOS, row.id);
  }
  const next = [entries.activeCount() > 0 ? Date.now() + RECONCILE_EVERY_MS : null, expiring].filter(
    (at): at is number => at !== null,
  );
  return next.length === 0 ? null : Math.min(...next);
}
