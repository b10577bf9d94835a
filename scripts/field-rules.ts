/**
 * Rules the sync script applies to fields, whether a schema file describes
 * them or only an example sends them (scripts/sync-models.ts documents them).
 *
 * Erasable TypeScript only, so `node scripts/sync-models.ts` runs it directly.
 */
import type { MediaType } from "../src/models/types.ts";

/** A name that says the field holds media (the array's name for its items). */
export const MEDIA_NAME = /(^|_)(url|urls|image|images|image_list|mask)$/;

/** The media types a media field takes, from its name, else a sibling `type` enum, else all three. */
export function mediaTypesOf(name: string, siblingTypes: readonly string[]): MediaType[] {
  if (name.includes("audio")) return ["audio"];
  if (name.includes("video")) return ["video"];
  if (/image|mask|frame/.test(name)) return ["image"];
  const fromSibling = (["image", "video", "audio"] as const).filter((type) => siblingTypes.includes(type));
  return fromSibling.length > 0 ? fromSibling : ["image", "video", "audio"];
}
