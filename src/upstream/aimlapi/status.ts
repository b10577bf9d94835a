/**
 * The AI/ML API's status words in the relay's words (docs/api.md#the-upstream):
 * `queued` is queued; `completed` or `succeeded` is done (with `video.url`);
 * `error` or `failed` is failed; every other word (`waiting`, `active`,
 * `generating`, or one never seen before) means the upstream is working on
 * the task. Its error values come as `{name, message}`, `{detail: [...]}`, a
 * string, or anything else, and are turned into one message here; its cost
 * comes as `meta.usage.tokens_used`.
 */
import type { UpstreamTaskState } from "../../vocabulary.ts";

const QUEUED = new Set(["queued"]);
const COMPLETED = new Set(["completed", "succeeded"]);
const FAILED = new Set(["error", "failed"]);

export function taskState(word: string): UpstreamTaskState {
  if (QUEUED.has(word)) return "queued";
  if (COMPLETED.has(word)) return "completed";
  if (FAILED.has(word)) return "failed";
  return "running";
}

/** One line saying what went wrong, whatever shape the upstream's `error` has. */
export function describeUpstreamError(error: unknown): string {
  if (typeof error === "string" && error.trim() !== "") return error;
  if (isRecord(error)) {
    if (Array.isArray(error.detail)) {
      const parts = error.detail.map((item) => {
        if (!isRecord(item)) return String(item);
        const where = Array.isArray(item.loc) ? item.loc.join(".") : "";
        const what = typeof item.msg === "string" ? item.msg : JSON.stringify(item);
        return where ? `${where}: ${what}` : what;
      });
      if (parts.length > 0) return parts.join("; ");
    }
    const name = typeof error.name === "string" ? error.name : null;
    const message = typeof error.message === "string" ? error.message : null;
    if (name && message) return `${name}: ${message}`;
    if (message || name) return message ?? name ?? "";
  }
  if (error === null || error === undefined) return "The upstream reported a failure without details";
  return JSON.stringify(error).slice(0, 500);
}

/**
 * The upstream credits an answer says the task costs: `meta.usage.tokens_used`
 * (a non-negative number), or null when the answer does not say.
 */
export function creditsOf(answer: unknown): number | null {
  const meta = isRecord(answer) ? answer.meta : undefined;
  const usage = isRecord(meta) ? meta.usage : undefined;
  const used = isRecord(usage) ? usage.tokens_used : undefined;
  return typeof used === "number" && Number.isFinite(used) && used >= 0 ? used : null;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
