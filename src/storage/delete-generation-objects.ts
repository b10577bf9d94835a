/**
 * Everything a generation keeps in R2, deleted for good (purge, retention):
 * its video (`videos/<id>.mp4`) and every stored input under `inputs/<id>/`
 * (the `data:` URIs of its create body, models/inline-media.ts).
 */
import { deleteStoredInputs } from "../models/inline-media.ts";
import { videoKey } from "./copy-to-r2.ts";

/**
 * Deletes the video and every input of `generationId`; returns how many keys
 * were deleted (the video's counts whether it existed or not). Deleting a key
 * that does not exist is not an error, so running it again (an interrupted
 * erasure tried once more) is harmless.
 */
export async function deleteGenerationObjects(bucket: R2Bucket, generationId: string): Promise<number> {
  await bucket.delete(videoKey(generationId));
  return 1 + (await deleteStoredInputs(bucket, generationId));
}
