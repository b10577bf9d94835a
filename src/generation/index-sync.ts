/**
 * Keeps the client's index (client-index.ts) told of this generation: its
 * summary row (what `GET /v1/generations` lists) whenever the status or the
 * webhook's outcome changes. Each update carries a version the index only
 * accepts when newer, taken and persisted before it is sent, so a retry or a
 * late answer can never put an older summary over a newer one. An update that
 * fails is tried again by the next alarm (see nextAlarmAt).
 */
import { readConfig } from "../config.ts";
import { toSummary } from "./client-index.ts";
import { errorMessage } from "../lib/errors.ts";
import { logProblem } from "../lib/log.ts";
import { videoLinkBase } from "./links.ts";
import { indexFingerprint, needsIndexSync } from "./state.ts";
import type { GenerationStore } from "./store.ts";
import { toGeneration } from "./view.ts";

export async function syncClientIndex(env: Env, store: GenerationStore): Promise<void> {
  const state = store.load();
  // A generation being deleted tells its index nothing more: the deletion removes its row.
  if (!state || state.erasing || !needsIndexSync(state)) return;
  const fingerprint = indexFingerprint(state);
  const version = (state.indexed?.version ?? 0) + 1;
  // Persisted first: a version is never sent twice with different contents.
  store.save({ ...state, indexed: { version, fingerprint: state.indexed?.fingerprint ?? null } });
  // Unsigned: whoever reads the summary signs a fresh link (links.ts withSignedLink).
  const summary = toSummary(toGeneration(state, videoLinkBase(env, state), readConfig(env).retentionMs));
  try {
    store.meter.indexRequest();
    await env.CLIENT_INDEX.getByName(state.clientId).record({ id: state.id, version, summary });
  } catch (error) {
    logProblem({ event: "index.update_failed", generation: state.id, error: errorMessage(error) });
    return;
  }
  const latest = store.load();
  if (latest && (latest.indexed?.version ?? 0) === version) {
    store.save({ ...latest, indexed: { version, fingerprint } });
  }
}
