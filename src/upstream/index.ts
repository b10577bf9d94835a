import type { Config } from "../config.ts";
import { createAimlapiClient } from "./aimlapi/client.ts";
import type { Upstream } from "./port.ts";
import { createSimulator } from "./simulator/simulator.ts";

export type { Upstream } from "./port.ts";

/** The adapter a new generation uses: the AI/ML API when a key is set, else the simulator. */
export function adapterFor(config: Config): Upstream["name"] {
  return config.aimlapiKey === null ? "simulator" : "aimlapi";
}

export function createUpstream(adapter: Upstream["name"], config: Config): Upstream {
  if (adapter === "aimlapi" && config.aimlapiKey !== null) {
    return createAimlapiClient({ baseUrl: config.aimlapiBaseUrl, apiKey: config.aimlapiKey });
  }
  return createSimulator({ durationMs: config.simulatorMs });
}
