/**
 * Media values (docs/api.md#models): a media field takes an absolute http(s) URL,
 * passed to the upstream unchanged, or a base64 `data:` URI of an image,
 * video or audio type. Size limits are applied by the caller
 * (`MAX_INLINE_MEDIA_BYTES`); this module only reads the value.
 */
import type { MediaType } from "./types.ts";

export interface DataUri {
  /** Lower case, without parameters: `image/png`. */
  mediaType: string;
  /** The top-level type, when it is one a media field can take. */
  kind: MediaType | null;
  /** Decoded length, computed from the base64 text without decoding it. */
  bytes: number;
  /** The base64 text after the comma, unchanged. */
  base64: string;
}

// data:<type>/<subtype>[;name=value]*;base64,<data>
const DATA_URI = /^data:([a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+)((?:;[a-z0-9!#$&^_.+-]+=[^;,]*)*);base64,/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A base64 `data:` URI, or null when the value is not one (or its base64 is malformed). */
export function parseDataUri(value: string): DataUri | null {
  const match = DATA_URI.exec(value);
  const type = match?.[1];
  if (match === null || type === undefined) return null;
  const base64 = value.slice(match[0].length);
  if (base64.length % 4 !== 0 || !BASE64.test(base64)) return null;
  const padding = base64.endsWith("==") ? 2 : base64.endsWith("=") ? 1 : 0;
  const mediaType = type.toLowerCase();
  const top = mediaType.slice(0, mediaType.indexOf("/"));
  const kind = top === "image" || top === "video" || top === "audio" ? top : null;
  return { mediaType, kind, bytes: (base64.length / 4) * 3 - padding, base64 };
}

/** An absolute http: or https: URL with a host. */
export function isHttpUrl(value: string): boolean {
  if (!/^https?:\/\//i.test(value)) return false;
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

/** Why a value does not fit a media field that takes `accepted`, or null when it fits. */
export function mediaProblem(value: string, accepted: readonly MediaType[]): string | null {
  if (/^data:/i.test(value)) {
    const data = parseDataUri(value);
    if (data === null) return "must be a base64 data: URI (data:<type>/<subtype>;base64,<data>)";
    if (data.kind === null || !accepted.includes(data.kind)) {
      return `must be ${describeMediaTypes(accepted)}, not ${data.mediaType}`;
    }
    return null;
  }
  return isHttpUrl(value) ? null : `must be an http(s) URL or a base64 data: URI of ${describeMediaTypes(accepted)}`;
}

/** "an image", "an image or a video", … */
export function describeMediaTypes(accepted: readonly MediaType[]): string {
  const words = accepted.map((type) =>
    type === "image" ? "an image" : type === "video" ? "a video" : "an audio file",
  );
  return words.length <= 1 ? (words[0] ?? "a file") : `${words.slice(0, -1).join(", ")} or ${words.at(-1) ?? ""}`;
}
