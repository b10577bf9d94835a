/**
 * Keeps the client's index (client-index.ts) told of this generation's
 * status. The state remembers what the index last acknowledged, so an update
 * that fails is simply tried again by the next alarm.
 */
import { errorMessage } from "../lib/errors.ts";
import type { GenerationStore } from "./store.ts";

export async function syncClientIndex(env: Env, store: GenerationStore): Promise<void> {
  const state = store.load();
  if (!state || state.status === state.indexedStatus) return;
  const status = state.status;
  try {
    await env.CLIENT_INDEX.getByName(state.clientId).setStatus(state.id, status);
  } catch (error) {
    const reason = errorMessage(error);
    console.warn(JSON.stringify({ message: "client index update failed", generation: state.id, error: reason }));
    return;
  }
  const latest = store.load();
  if (latest) store.save({ ...latest, indexedStatus: status });
}
