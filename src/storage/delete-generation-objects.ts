/**
 * Everything a generation keeps in R2, deleted for good (purge, retention):
 * its video (`videos/<id>.mp4`) and every stored input under
 * `inputs/<id>/` (the `data:` URIs of a create body).
 */
import { videoKey } from "./copy-to-r2.ts";

/** Where a generation's stored inputs live: one prefix per generation. */
export const inputsPrefix = (generationId: string): string => `inputs/${generationId}/`;

/** R2 deletes at most this many keys per call. */
const DELETE_BATCH = 1000;

/**
 * Deletes the video and every input of `generationId`; returns how many keys
 * were deleted or absent. Deleting a key that does not exist is not an error,
 * so running it twice (an interrupted erasure tried again) is harmless.
 */
export async function deleteGenerationObjects(bucket: R2Bucket, generationId: string): Promise<number> {
  const keys = [videoKey(generationId)];
  const prefix = inputsPrefix(generationId);
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, cursor, limit: DELETE_BATCH });
    keys.push(...page.objects.map((object) => object.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor !== undefined);
  for (let start = 0; start < keys.length; start += DELETE_BATCH) {
    await bucket.delete(keys.slice(start, start + DELETE_BATCH));
  }
  return keys.length;
}
