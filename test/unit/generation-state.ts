/**
 * The state the pure tests start from: a queued generation of the default
 * model, created at T0, with nothing submitted yet. Each test file adds what
 * its cases need through `overrides`.
 */
import type { GenerationState } from "../../src/generation/state.ts";

export const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);

export function queuedState(overrides: Partial<GenerationState> = {}): GenerationState {
  return {
    id: "gen_0000000000aaaaaaaaaaaaaaaa",
    clientId: "alice",
    model: "alibaba/wan2.5-t2v-preview",
    input: {
      model: "alibaba/wan2.5-t2v-preview",
      prompt: "a raccoon",
      aspect_ratio: "16:9",
      resolution: "720p",
      enable_prompt_expansion: true,
    },
    metadata: {},
    status: "queued",
    upstream: { adapter: "aimlapi", id: null, status: null, polls: 0, lastOutcome: null },
    submit: { attempts: 0, inFlight: false },
    download: { url: null, attempts: 0, lastError: null },
    video: null,
    error: null,
    failures: 0,
    nextActionAt: T0,
    createdAt: T0,
    updatedAt: T0,
    completedAt: null,
    deadlineAt: T0 + 1_800_000,
    publicBaseUrl: "https://relay.example",
    webhook: null,
    ...overrides,
  };
}
