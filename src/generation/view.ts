/**
 * What callers see: the public Generation (CONTRACT.md §3) and the
 * upstream-compatible answer (§4), both rendered from the stored state.
 */
import type { z } from "zod";
import type { CompatGenerationSchema, Generation } from "./schema.ts";
import type { GenerationState } from "./state.ts";
import { summarize } from "../webhook/delivery.ts";
import { expiresAt } from "./lifecycle.ts";

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * `videoUrl` is the signed link, computed by the caller (signing is async);
 * `retentionMs` is RETENTION_SECONDS (0: kept for good), for `expires_at`.
 */
export function toGeneration(state: GenerationState, videoUrl: string | null, retentionMs: number): Generation {
  const { model: _model, ...input } = state.input;
  return {
    id: state.id,
    object: "generation",
    model: state.model,
    status: state.status,
    input,
    upstream: { id: state.upstream.id, status: state.upstream.status, polls: state.upstream.polls },
    video:
      state.video && videoUrl !== null
        ? { url: videoUrl, content_type: state.video.contentType, bytes: state.video.bytes, sha256: state.video.sha256 }
        : null,
    error: state.error,
    webhook: summarize(state.webhook),
    metadata: state.metadata,
    created_at: iso(state.createdAt) ?? "",
    updated_at: iso(state.updatedAt) ?? "",
    completed_at: iso(state.completedAt),
    expires_at: iso(expiresAt(state, retentionMs)),
  };
}

export type CompatGeneration = z.infer<typeof CompatGenerationSchema>;

/**
 * The upstream's vocabulary: `generating` until the video is stored in R2.
 * Every key the upstream's documented answers show (docs/compatibility.md),
 * with the relay's values.
 */
export function toCompat(generation: Generation): CompatGeneration {
  const status =
    generation.status === "queued"
      ? "queued"
      : generation.status === "completed"
        ? "completed"
        : generation.status === "failed" || generation.status === "canceled"
          ? "error"
          : "generating";
  return {
    id: generation.id,
    generation_id: generation.id,
    status,
    video: status === "completed" && generation.video ? { url: generation.video.url } : null,
    error:
      generation.error !== null
        ? { name: generation.error.code, message: generation.error.message }
        : generation.status === "canceled"
          ? { name: "canceled", message: "The generation was canceled" }
          : null,
    model: generation.model,
    meta: null,
  };
}
