import { describe, expect, it } from "vitest";
import { call, create, get, isStatus, stepUntil, uniquePrompt } from "./helpers.ts";

describe("smoke", () => {
  it("answers /healthz", async () => {
    const response = await call("/healthz", { as: null });
    expect(await response.json()).toEqual({ ok: true, upstream: "aimlapi" });
  });

  it("takes a generation from create to completed against the local upstream", async () => {
    const created = await create({ prompt: uniquePrompt() });
    expect(created.status).toBe("queued");
    const state = await stepUntil(created.id, isStatus("completed", "failed"));
    expect(state.status, JSON.stringify(state.error)).toBe("completed");
    const generation = await get(created.id);
    expect(generation.video?.bytes).toBeGreaterThan(1000);
  });
});
