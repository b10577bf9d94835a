/**
 * `--input name=value` for any model of the catalogue: values read as JSON
 * when they parse (`5`, `true`, `["a","b"]`), as strings otherwise (`16:9`),
 * and a value that names an existing file in a media field of the model
 * (its JSON Schema from `GET /v1/models/{id}` marks those with `x-media`)
 * sent as a base64 `data:` URI, its media type taken from the extension.
 */
import { readFileSync, statSync } from "node:fs";
import { extname } from "node:path";
import { UsageError } from "./errors.ts";

/** Media types by extension (lower case, with the dot): the common image, video and audio files. */
export const MEDIA_TYPES: Readonly<Record<string, string>> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".webp": "image/webp",
  ".gif": "image/gif",
  ".bmp": "image/bmp",
  ".avif": "image/avif",
  ".heic": "image/heic",
  ".heif": "image/heif",
  ".tif": "image/tiff",
  ".tiff": "image/tiff",
  ".mp4": "video/mp4",
  ".m4v": "video/mp4",
  ".mov": "video/quicktime",
  ".webm": "video/webm",
  ".mkv": "video/x-matroska",
  ".avi": "video/x-msvideo",
  ".mpeg": "video/mpeg",
  ".mpg": "video/mpeg",
  ".mp3": "audio/mpeg",
  ".wav": "audio/wav",
  ".m4a": "audio/mp4",
  ".aac": "audio/aac",
  ".ogg": "audio/ogg",
  ".oga": "audio/ogg",
  ".opus": "audio/opus",
  ".flac": "audio/flac",
};

/** A JSON Schema as the relay serves it: only the keywords read here. */
export interface Schema {
  type?: string | string[];
  format?: string;
  "x-media"?: string[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  items?: Schema;
  properties?: Record<string, Schema>;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** A value as given on the command line: JSON when it parses, else the text itself. */
export function parseInputValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * `["name=value", …]` → `{name: value}` in the order given. A name given more
 * than once collects its values into a list (`--input image_urls=a.png
 * --input image_urls=b.png`).
 */
export function parseInputs(pairs: readonly string[], command = "generate"): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  const collected = new Map<string, unknown[]>();
  for (const pair of pairs) {
    const equals = pair.indexOf("=");
    const name = equals < 0 ? "" : pair.slice(0, equals).trim();
    if (name === "") throw new UsageError(`--input must be name=value, got "${pair}"`, command);
    if (name === "__proto__") throw new UsageError(`--input: "__proto__" is not a field name`, command);
    const value = parseInputValue(pair.slice(equals + 1));
    const values = collected.get(name);
    if (values === undefined) {
      collected.set(name, [value]);
      inputs[name] = value;
    } else {
      values.push(value);
      inputs[name] = values;
    }
  }
  return inputs;
}

/** The file a value names, or null when it names none (a URL, a word, a directory). */
function existingFile(value: unknown): string | null {
  if (typeof value !== "string" || value === "" || /^[a-z][a-z0-9+.-]*:\/\//i.test(value) || /^data:/i.test(value)) {
    return null;
  }
  try {
    return statSync(value).isFile() ? value : null;
  } catch {
    return null;
  }
}

/** A file's bytes as a base64 `data:` URI, its media type from its extension. */
export function fileToDataUri(path: string, command = "generate"): string {
  const extension = extname(path).toLowerCase();
  const type = MEDIA_TYPES[extension];
  if (type === undefined) {
    const known = Object.keys(MEDIA_TYPES).join(" ");
    throw new UsageError(
      `cannot tell the media type of ${path} from its extension${extension === "" ? "" : ` (${extension})`}: use one of ${known}`,
      command,
    );
  }
  return `data:${type};base64,${readFileSync(path).toString("base64")}`;
}

/** A media field in JSON Schema: a URL string the relay marks with `x-media` (and `format: uri`). */
const isMediaSchema = (schema: Schema | undefined): boolean =>
  schema !== undefined && schema.type === "string" && (Array.isArray(schema["x-media"]) || schema.format === "uri");

/**
 * Whether a value needs a file read at all: any string in it that names an
 * existing file (so that `GET /v1/models/{id}` is asked only when it matters).
 */
export function mentionsFile(value: unknown): boolean {
  if (typeof value === "string") return existingFile(value) !== null;
  if (Array.isArray(value)) return value.some(mentionsFile);
  if (isRecord(value)) return Object.values(value).some(mentionsFile);
  return false;
}

/**
 * The value with each string that sits in a media field and names an existing
 * file replaced by that file's `data:` URI, following the schema through
 * lists, objects and `anyOf`/`oneOf`. Anything else is left as given: the
 * relay names what it refuses.
 */
export function filesToDataUris(schema: unknown, value: unknown, command = "generate"): unknown {
  if (!isRecord(schema)) return value;
  const spec = schema as Schema;
  const options = spec.anyOf ?? spec.oneOf;
  if (Array.isArray(options)) {
    if (typeof value === "string") {
      const media = options.find(isMediaSchema);
      return media === undefined ? value : filesToDataUris(media, value, command);
    }
    const shaped = options.find((option) =>
      Array.isArray(value) ? option.type === "array" : option.type === "object" && value !== null,
    );
    return shaped === undefined ? value : filesToDataUris(shaped, value, command);
  }
  if (typeof value === "string") {
    const file = isMediaSchema(spec) ? existingFile(value) : null;
    return file === null ? value : fileToDataUri(file, command);
  }
  if (Array.isArray(value)) {
    return spec.type === "array" ? value.map((item: unknown) => filesToDataUris(spec.items, item, command)) : value;
  }
  if (isRecord(value) && spec.type === "object") {
    const properties = spec.properties ?? {};
    const copy: Record<string, unknown> = {};
    for (const [name, item] of Object.entries(value)) copy[name] = filesToDataUris(properties[name], item, command);
    return copy;
  }
  return value;
}
