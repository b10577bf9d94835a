/**
 * The signed video links a generation hands out (`video.url`) and their
 * check, beside the object that owns the video. Signing itself is
 * lib/link-signing.ts; this module only decides with which key and for how long.
 */
import { readConfig } from "../config.ts";
import { keyring } from "../keyring/keyring.ts";
import { signVideoLink } from "../lib/link-signing.ts";
import type { GenerationState } from "./state.ts";
import type { Generation, GenerationSummary } from "./view.ts";

/** The video's URL before signing: PUBLIC_BASE_URL, else the origin the generation was created on. */
export function videoLinkBase(env: Env, state: Pick<GenerationState, "id" | "publicBaseUrl">): string {
  const base = readConfig(env).publicBaseUrl ?? state.publicBaseUrl;
  return `${base}/v1/generations/${state.id}/video`;
}

/** `link` (a videoLinkBase) signed for generation `id`, valid for VIDEO_URL_TTL_SECONDS from `nowMs`. */
export async function signLink(env: Env, id: string, link: string, nowMs: number): Promise<string> {
  const expires = Math.floor(nowMs / 1000) + readConfig(env).videoUrlTtlSeconds;
  const signature = await signVideoLink((await keyring(env)).linkKey, id, expires);
  return `${link}?expires=${expires}&signature=${signature}`;
}

/** A signed link to the stored video, valid for VIDEO_URL_TTL_SECONDS from `nowMs`. */
export function signedVideoLink(env: Env, state: GenerationState, nowMs: number): Promise<string> {
  return signLink(env, state.id, videoLinkBase(env, state), nowMs);
}

/** A summary from the client index as the public Generation, with a freshly signed link. */
export async function withSignedLink(env: Env, summary: GenerationSummary, nowMs: number): Promise<Generation> {
  const { video, ...rest } = summary;
  if (video === null) return { ...rest, video: null };
  const { link, ...stored } = video;
  return { ...rest, video: { url: await signLink(env, summary.id, link, nowMs), ...stored } };
}
