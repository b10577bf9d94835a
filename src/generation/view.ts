/**
 * What callers see, rendered from the stored state: the public Generation
 * (docs/api.md#the-generation-object), the summary the client index keeps of
 * it (the same without a signed link), and the upstream-compatible answer.
 */
import type { Retention } from "../config.ts";
import type { z } from "zod";
import type { CompatGenerationSchema, Generation } from "../api/schemas.ts";
import { summarize } from "../webhook/delivery.ts";
import type { UpstreamAdapter } from "../vocabulary.ts";
import { expiresAt, newGenerationState, type GenerationState, type NewGeneration } from "./state.ts";

export type { Generation };

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * `videoUrl` is the signed link, computed by the caller (signing is async);
 * `retentionMs` is RETENTION_SECONDS (0: kept for good), for `expires_at`.
 */
export function toGeneration(state: GenerationState, videoUrl: string | null, retention: Retention): Generation {
  const { model: _model, ...input } = state.input;
  return {
    id: state.id,
    object: "generation",
    model: state.model,
    status: state.status,
    input,
    upstream: {
      id: state.upstream.id,
      status: state.upstream.status,
      polls: state.upstream.polls,
      adapter: state.upstream.adapter,
      credits: state.upstream.credits ?? null,
    },
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
    expires_at: iso(expiresAt(state, retention)),
  };
}

/**
 * The public Generation without its signed video link (links are signed when
 * read, never stored): `video.link` is the URL the reader signs. What the
 * client index keeps per generation, and what the live feed carries.
 */
export type GenerationSummary = Omit<Generation, "video"> & {
  video: (Omit<NonNullable<Generation["video"]>, "url"> & { link: string }) | null;
};

/** The state as its summary: `link` is the video's URL before signing. */
export function toSummary(state: GenerationState, link: string, retention: Retention): GenerationSummary {
  const { video, ...rest } = toGeneration(state, link, retention);
  return {
    ...rest,
    video: video
      ? { content_type: video.content_type, bytes: video.bytes, sha256: video.sha256, link: video.url }
      : null,
  };
}

/**
 * The summary of a generation as its object creates it from `params`
 * (queued, nothing sent yet): what the Worker's reservation hands the client
 * index, so the list shows the generation without the object reporting it
 * (the `created` lifecycle event's `listed`). Both sides render the same
 * summary because `params` carries the creation time and the adapter.
 */
export function createdSummary(
  params: NewGeneration & { createdAt: number; adapter: UpstreamAdapter },
  retention: Retention,
): GenerationSummary {
  // The deadline is not part of a summary, and a queued generation has no video to link.
  const state = newGenerationState(params, { adapter: params.adapter, timeoutMs: 0, now: params.createdAt });
  return toSummary(state, "", retention);
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
