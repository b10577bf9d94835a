/**
 * Deleting a generation for good (docs/api.md#deleting-generations: purge
 * and retention), the part outside its own storage: its R2 objects first,
 * then its client-index row. The object shell marks the generation first
 * (lifecycle event `erase_requested`) and deletes its own storage last, so a
 * failure part-way leaves the mark, and the alarm set from it, to try the
 * rest again. Running either twice is harmless.
 *
 * The client's slot and its credits outlive the row: while an upstream task
 * the generation started may still run, the index keeps its slot (until the
 * deadline at the latest) and `releaseSlot` gives it back with the task's
 * final credit figure once it has ended.
 */
import { utcMonth } from "../lib/months.ts";
import { deleteGenerationObjects } from "../storage/delete-generation-objects.ts";
import type { Meter } from "./meter.ts";
import { holdsSlot, type GenerationState } from "./state.ts";

/** The UTC calendar month a generation's credits count in: the month it was created. */
const creditMonth = (state: Pick<GenerationState, "createdAt">): string => utcMonth(state.createdAt);

/** Deletes what `state`'s generation keeps outside its object; returns how many R2 keys were deleted. Throws on failure. */
export async function eraseOutside(env: Env, videos: R2Bucket, state: GenerationState, meter: Meter): Promise<number> {
  const deleted = await deleteGenerationObjects(videos, state.id);
  meter.indexRequest();
  await env.CLIENT_INDEX.getByName(state.clientId).forget(state.id, {
    slotUntil: holdsSlot(state) ? state.deadlineAt : null,
    credits: state.upstream.credits ?? null,
    month: creditMonth(state),
  });
  return deleted;
}

/** Gives the client's slot back once the generation's upstream task is no longer waited for, with its final credits. */
export async function releaseSlot(env: Env, state: GenerationState, meter: Meter): Promise<void> {
  meter.indexRequest();
  await env.CLIENT_INDEX.getByName(state.clientId).releaseSlot(state.id, {
    credits: state.upstream.credits ?? null,
    month: creditMonth(state),
  });
}
