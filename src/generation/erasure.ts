/**
 * Deleting a generation for good (docs/api.md#deleting-generations: purge
 * and retention), the part outside its own storage: its R2 objects first,
 * then its client-index row. The object shell marks the generation first
 * (lifecycle event `erase_requested`) and deletes its own storage last, so a
 * failure part-way leaves the mark, and the alarm set from it, to try the
 * rest again. Running it twice is harmless.
 */
import { deleteGenerationObjects } from "../storage/delete-generation-objects.ts";
import type { Meter } from "./meter.ts";
import type { GenerationState } from "./state.ts";

/** Deletes what `state`'s generation keeps outside its object; returns how many R2 keys were deleted. Throws on failure. */
export async function eraseOutside(env: Env, videos: R2Bucket, state: GenerationState, meter: Meter): Promise<number> {
  const deleted = await deleteGenerationObjects(videos, state.id);
  meter.indexRequest();
  await env.CLIENT_INDEX.getByName(state.clientId).forget(state.id);
  return deleted;
}
