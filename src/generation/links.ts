/**
 * The signed video links a generation hands out (`video.url`) and their
 * check, beside the object that owns the video. Signing itself is
 * lib/link-signing.ts; this module only decides with which key and for how long.
 */
import { readConfig } from "../config.ts";
import { signVideoLink, verifyVideoLink } from "../lib/link-signing.ts";
import type { GenerationState } from "./state.ts";

/**
 * The key video links of this generation are signed with: URL_SIGNING_SECRET
 * when set, else the random key kept with the generation. The one place to
 * change when the key comes from elsewhere.
 */
async function linkKey(env: Env, state: GenerationState): Promise<string> {
  return readConfig(env).urlSigningSecret ?? state.signingKey;
}

/** A link to the stored video, valid for VIDEO_URL_TTL_SECONDS from `nowMs`. */
export async function signedVideoLink(env: Env, state: GenerationState, nowMs: number): Promise<string> {
  const config = readConfig(env);
  const expires = Math.floor(nowMs / 1000) + config.videoUrlTtlSeconds;
  const signature = await signVideoLink(await linkKey(env, state), state.id, expires);
  const base = config.publicBaseUrl ?? state.publicBaseUrl;
  return `${base}/v1/generations/${state.id}/video?expires=${expires}&signature=${signature}`;
}

export async function checkVideoLink(
  env: Env,
  state: GenerationState,
  expires: string,
  signature: string,
  nowMs: number,
): Promise<"ok" | "expired" | "invalid"> {
  return verifyVideoLink(await linkKey(env, state), state.id, expires, signature, nowMs / 1000);
}
