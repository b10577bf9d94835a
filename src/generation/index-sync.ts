/**
 * Keeps the client's index (src/client-index/) told of this generation: its
 * summary row (what `GET /v1/generations` lists and the quota counts)
 * whenever the status or the webhook's outcome changes. Each report carries
 * the state's revision, which the index only accepts when newer, so a retry
 * or a late answer can never put an older summary over a newer one. The
 * outcome comes back as a lifecycle event; one that failed is tried again by
 * the alarm (see nextAlarmAt).
 */
import { errorMessage } from "../lib/errors.ts";
import { logProblem } from "../lib/log.ts";
import type { LifecycleEvent } from "./lifecycle.ts";
import { videoLinkBase } from "./links.ts";
import type { Meter } from "./meter.ts";
import { holdsSlot, indexFingerprint, type GenerationState } from "./state.ts";
import { toSummary } from "./view.ts";

export async function reportToIndex(
  env: Env,
  loaded: { state: GenerationState; revision: number },
  options: { retentionMs: number; meter: Meter },
): Promise<LifecycleEvent> {
  const { state, revision } = loaded;
  // Unsigned: whoever reads the summary signs a fresh link (links.ts withSignedLink).
  const summary = toSummary(state, videoLinkBase(env, state), options.retentionMs);
  try {
    options.meter.indexRequest();
    await env.CLIENT_INDEX.getByName(state.clientId).record({
      id: state.id,
      version: revision,
      summary,
      holdsSlot: holdsSlot(state),
    });
  } catch (error) {
    const reason = errorMessage(error);
    logProblem({ event: "index.update_failed", generation: state.id, error: reason });
    return { type: "index_failed", reason };
  }
  return { type: "index_acknowledged", revision, fingerprint: indexFingerprint(state) };
}
