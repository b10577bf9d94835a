/**
 * Shared by the tests of the client index (src/client-index/): a summary row
 * as a generation reports it, and the active counter as stored.
 */
import { runInDurableObject } from "cloudflare:test";
import type { ClientIndexObject } from "../../src/client-index/object.ts";
import type { GenerationSummary } from "../../src/generation/view.ts";
import { DEFAULT_MODEL_ID, isTerminal, type GenerationStatus } from "../../src/vocabulary.ts";

export type IndexStub = DurableObjectStub<ClientIndexObject>;

/** A summary row as generation `id` would report it at `status`. */
export function summaryOf(
  id: string,
  status: GenerationStatus,
  options: { createdAt?: number; model?: string; bytes?: number | null } = {},
): GenerationSummary {
  const at = new Date(options.createdAt ?? Date.now()).toISOString();
  const bytes = options.bytes === undefined ? (status === "completed" ? 1234 : null) : options.bytes;
  return {
    id,
    object: "generation",
    model: options.model ?? DEFAULT_MODEL_ID,
    status,
    input: { prompt: "a raccoon", aspect_ratio: "16:9", resolution: "720p", enable_prompt_expansion: true },
    upstream: { id: "task-1", status: null, polls: 0, adapter: "aimlapi", credits: null },
    video:
      bytes === null
        ? null
        : {
            content_type: "video/mp4",
            bytes,
            sha256: "ab".repeat(32),
            link: `https://relay.example/v1/generations/${id}/video`,
          },
    error: status === "failed" ? { code: "upstream_error", message: "boom" } : null,
    webhook: null,
    metadata: { order: 7 },
    created_at: at,
    updated_at: at,
    completed_at: isTerminal(status) ? at : null,
    expires_at: null,
  };
}

/** The index's active counter, as stored (what MAX_ACTIVE_PER_KEY is checked against). */
export function activeCountOf(index: IndexStub): Promise<number> {
  return runInDurableObject(
    index,
    (_instance: ClientIndexObject, ctx) =>
      ctx.storage.sql.exec<{ value: number }>(`SELECT value FROM counters WHERE name = 'active'`).one().value,
  );
}
