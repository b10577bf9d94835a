/**
 * Structured logs: one JSON object per line (`console.log(JSON.stringify(…))`),
 * so `wrangler tail`, `wrangler dev`, Workers Logs (observability in
 * wrangler.jsonc) and any log drain read one event per line.
 *
 * A lifecycle line names its generation, client and model and how long after
 * creation it happened (`age_ms`); the event adds its own figures. What goes
 * in is chosen field by field, and never includes a key, a secret, a
 * signature, a prompt or any other input field, a signed URL or a webhook
 * URL. As a second line of defence every string is scrubbed on the way out:
 * URLs lose their query and fragment, `whsec_…` secrets and `Bearer …`
 * credentials are replaced, and long text is cut.
 */
import type { ErrorCode, GenerationStatus } from "../vocabulary.ts";

/** Per-generation resource counts (src/generation/meter.ts); plain numbers so a log line carries them. */
export type MeterCounts = {
  /** Requests billed to the GenerationObject: every RPC call into it and every alarm invocation. */
  do_requests: number;
  alarms: number;
  /** RPC calls by method name. */
  rpc: Record<string, number>;
  /** SQLite rows written (the cursors' `rowsWritten`) plus one per `setAlarm` (billed as a row written). */
  rows_written: number;
  rows_read: number;
  setalarm_calls: number;
  /** R2 Class A: put, createMultipartUpload, uploadPart, complete, list. */
  r2_class_a: number;
  /** R2 Class B: get, head. */
  r2_class_b: number;
  /** R2 operations that are free: delete, abortMultipartUpload. */
  r2_free: number;
  /** Bytes put into R2 for this generation (the stored video's size, more if a copy was retried). */
  bytes_stored: number;
  /** Requests this object made to its client's ClientIndexObject (billed to that object). */
  index_requests: number;
  /** Video reads the object granted (`videoAccess`): the Worker then makes one R2 get (Class B) for each. */
  video_reads: number;
  /** Wall time the object spent in alarms, RPC calls and webhook attempts (overlaps counted once per kind). */
  busy_ms: number;
};

/** What every lifecycle line names. */
export interface GenerationRef {
  id: string;
  clientId: string;
  model: string;
  createdAt: number;
}

/** The lifecycle events, one JSON line each. `purged` and `expired` are for retention and purge. */
export type LifecycleLog =
  | { event: "generation.created"; adapter: string; webhook: boolean }
  | {
      event: "generation.submitted";
      outcome: "accepted" | "retryable" | "rejected" | "uncertain";
      attempt: number;
      submit_ms: number;
    }
  | { event: "generation.status"; from: GenerationStatus; to: GenerationStatus; polls: number }
  | { event: "generation.stored"; bytes: number; copy_ms: number; attempt: number }
  | { event: "generation.failed"; code: ErrorCode; from: GenerationStatus }
  | {
      event: "webhook.attempt";
      webhook_event: string;
      /** The attempt's number in its series; null when its series had ended meanwhile (superseded). */
      attempt: number | null;
      http_status: number | null;
      ms: number;
      outcome: string;
      error?: string;
    }
  /** Nothing is left to do for the generation (terminal, webhook series over, index told): its counts so far. */
  | {
      event: "generation.settled";
      status: GenerationStatus;
      polls: number;
      /** The upstream's latest credit figure for the task (null: never told). */
      credits: number | null;
      meter: MeterCounts;
      /** The object's SQLite database size (billed as Durable Object stored data until it is deleted). */
      sqlite_bytes: number;
    }
  | { event: "generation.purged"; status: GenerationStatus; meter?: MeterCounts; [field: string]: LogValue }
  | { event: "generation.expired"; status: GenerationStatus; meter?: MeterCounts; [field: string]: LogValue };

/** Lines about something that went wrong in the relay itself. */
export type ProblemLog =
  | { event: "alarm.step_failed"; generation: string; step: string; error: string }
  | { event: "alarm.schedule_failed"; generation: string; error: string }
  | { event: "index.update_failed"; generation: string; error: string }
  | { event: "index.probe_failed"; generation: string; error: string }
  /** A purge or retention deletion that stopped part-way; the generation's alarm tries the rest again. */
  | { event: "generation.erase_failed"; generation: string; error: string }
  | { event: "http.unhandled_error"; path: string; error: string };

type LogValue = string | number | boolean | null | undefined | LogValue[] | { [key: string]: LogValue };
type LogLevel = "info" | "warn" | "error";

const LEVELS: Record<ProblemLog["event"], LogLevel> = {
  "alarm.step_failed": "error",
  "alarm.schedule_failed": "error",
  "index.update_failed": "warn",
  "index.probe_failed": "warn",
  "generation.erase_failed": "warn",
  "http.unhandled_error": "error",
};

/** Longest string a line carries (an error's stack included). */
const MAX_STRING = 2_000;

/**
 * What every pattern of `scrub` needs somewhere in the text: most strings a
 * line carries (ids, names, words) have none of it and are kept as they are
 * after this one scan, instead of four.
 */
const MAY_NEED_SCRUBBING = /[?#]|whsec_|bearer|basic/i;

/** Removes what must never reach a log from free text (error messages, stacks, paths). */
export function scrub(text: string): string {
  if (text.length <= MAX_STRING && !MAY_NEED_SCRUBBING.test(text)) return text;
  const cleaned = text
    // A URL keeps its scheme, host and path; its query (signatures, tokens) and fragment go.
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s?#"'<>]*)[?#][^\s"'<>]*/gi, "$1")
    .replace(/whsec_[A-Za-z0-9+/=_-]*/g, "whsec_[redacted]")
    .replace(/\b(Bearer|Basic)\s+[^\s"',;]+/gi, "$1 [redacted]")
    // A bare query string (a path logged with its query).
    .replace(/(\/[^\s?#"'<>]*)\?[^\s"'<>]*/g, "$1");
  return cleaned.length > MAX_STRING ? `${cleaned.slice(0, MAX_STRING)}…` : cleaned;
}

function scrubValue(value: LogValue): LogValue {
  if (typeof value === "string") return scrub(value);
  if (Array.isArray(value)) return value.map(scrubValue);
  if (value !== null && typeof value === "object") {
    const out: Record<string, LogValue> = {};
    for (const [key, item] of Object.entries(value)) out[key] = scrubValue(item);
    return out;
  }
  return value;
}

/**
 * Lifecycle lines go to console.log whatever their level, so each stays one
 * plain JSON line (`wrangler dev` decorates console.warn/error output); the
 * relay's own faults go to console.warn/error, so they show up as such.
 */
function write(level: LogLevel, line: Record<string, LogValue>, channel: "log" | LogLevel = "log"): void {
  const text = JSON.stringify(scrubValue({ level, ...line }));
  if (channel === "error") console.error(text);
  else if (channel === "warn") console.warn(text);
  else console.log(text);
}

/** One lifecycle line about `generation`, at `now` (its age is measured from its creation). */
export function logEvent(generation: GenerationRef, line: LifecycleLog, now = Date.now()): void {
  const { event, ...fields } = line;
  write(event === "generation.failed" ? "warn" : "info", {
    event,
    generation: generation.id,
    client: generation.clientId,
    model: generation.model,
    age_ms: Math.max(0, now - generation.createdAt),
    ...(fields as Record<string, LogValue>),
  });
}

/** One line about a fault in the relay (a bug, an index that did not answer, an unhandled error). */
export function logProblem(line: ProblemLog): void {
  write(LEVELS[line.event], { ...line }, LEVELS[line.event]);
}
