import type { Config } from "../config.ts";
import { createAimlapiClient } from "./aimlapi/client.ts";
import type { Upstream } from "./port.ts";
import { createSimulator } from "./simulator/simulator.ts";

export type { Upstream } from "./port.ts";

/**
 * The adapter a new generation uses: the AI/ML API when a key is set, else
 * the simulator. A create reaches this only when `upstreamMode` (config.ts)
 * names an adapter: without AIMLAPI_KEY and SIMULATOR=true the Worker has
 * already answered 503 (src/routes/create-generation.ts).
 */
export function adapterFor(config: Config): Upstream["name"] {
  return config.aimlapiKey === null ? "simulator" : "aimlapi";
}

/**
 * The adapter a generation was created with, for life. An `aimlapi`
 * generation whose key is momentarily missing (a secret being rotated, a
 * deployment without it) stays with the AI/ML API: its submissions and polls
 * answer "retry later" until the key is back, so a task that may already be
 * paid for is neither moved to the simulator nor failed.
 */
export function createUpstream(adapter: Upstream["name"], config: Config, assets: Fetcher): Upstream {
  if (adapter === "simulator") return createSimulator({ durationMs: config.simulatorMs, assets });
  return createAimlapiClient({ baseUrl: config.aimlapiBaseUrl, apiKey: config.aimlapiKey });
}
