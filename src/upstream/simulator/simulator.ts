/**
 * The built-in simulated upstream (docs/api.md#the-simulator), used when AIMLAPI_KEY is
 * unset. It is a real adapter, not a test double: it walks the upstream's
 * status words over `SIMULATOR_SECONDS` and hands out a real, playable MP4
 * (H.264 + AAC, 640x360, 4 s) that ships with the project as a static asset
 * (`public/simulator/sample.mp4`, read through the ASSETS binding), so its
 * 141 KB stay out of the Worker's script.
 *
 * It keeps no state: the task id carries its own start time, so the answer
 * survives restarts and does not depend on which isolate polls.
 */
import { hex } from "../../lib/encoding.ts";
import type { UpstreamTaskState } from "../../vocabulary.ts";
import type { DownloadOutcome, PollOutcome, SubmitOutcome, Upstream, UpstreamInput } from "../port.ts";

export const SIMULATOR_VIDEO_URL = "simulator://videos/sample.mp4";
/** Where the sample is in the assets directory (the host is never contacted: ASSETS serves it). */
const SAMPLE_ASSET_URL = "https://assets.invalid/simulator/sample.mp4";
const ID_PATTERN = /^sim-(\d+)-[0-9a-f]+:(.+)$/;

/** The status word the simulator reports at `fraction` (0..1) of its run. */
function simulatedStatus(fraction: number): string {
  if (fraction >= 1) return "completed";
  if (fraction < 0.1) return "queued";
  if (fraction < 0.2) return "waiting";
  if (fraction < 0.3) return "active";
  return "generating";
}

export function createSimulator(options: { durationMs: number; assets: Fetcher; now?: () => number }): Upstream {
  const now = options.now ?? Date.now;
  return {
    name: "simulator",

    async submit(input: UpstreamInput): Promise<SubmitOutcome> {
      const nonce = hex(crypto.getRandomValues(new Uint8Array(8)));
      // The simulator costs nothing and says no figure.
      return { kind: "accepted", upstreamId: `sim-${now()}-${nonce}:${input.model}`, credits: null };
    },

    async poll(upstreamId: string): Promise<PollOutcome> {
      const match = ID_PATTERN.exec(upstreamId);
      if (!match) return { kind: "lost", reason: "not a simulator task id" };
      const startedAt = Number(match[1]);
      const fraction = options.durationMs <= 0 ? 1 : (now() - startedAt) / options.durationMs;
      const word = simulatedStatus(fraction);
      const state: UpstreamTaskState = word === "completed" ? "completed" : word === "queued" ? "queued" : "running";
      return {
        kind: "status",
        state,
        word,
        videoUrl: state === "completed" ? SIMULATOR_VIDEO_URL : null,
        failure: null,
        // The simulator costs nothing and says no figure.
        credits: null,
      };
    },

    async download(videoUrl: string): Promise<DownloadOutcome> {
      if (videoUrl !== SIMULATOR_VIDEO_URL) return { kind: "failed", reason: "unknown simulator video" };
      const response = await options.assets.fetch(SAMPLE_ASSET_URL);
      if (!response.ok || response.body === null) {
        await response.body?.cancel();
        return {
          kind: "failed",
          reason: `the simulator's sample is missing from the assets (HTTP ${response.status})`,
        };
      }
      // The assets layer may answer without Content-Length (it does under
      // wrangler dev), which would send the copy down the multipart path: three
      // Class A operations instead of one put. The sample is 140 KB, so it is
      // read whole and handed on with its length.
      const bytes = await response.arrayBuffer();
      return {
        kind: "ok",
        download: { body: new Blob([bytes]).stream(), contentLength: bytes.byteLength, contentType: "video/mp4" },
      };
    },
  };
}
