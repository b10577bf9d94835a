/**
 * Deadlines in real time: this project runs the Worker with
 * GENERATION_TIMEOUT_SECONDS=2 and POLL_INTERVAL_SECONDS=0.1 (vitest.config.ts),
 * so alarms fire on their own and the tests wait for the state they expect.
 * Timestamps are the wall clock; nothing is stepped.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { GenerationState } from "../../../src/generation/state.ts";
import { create, stateOf, stubOf, timeline, uniquePrompt, upstreamStats } from "../helpers.ts";

const TIMEOUT_MS = 2_000;

async function waitForTerminal(id: string): Promise<GenerationState> {
  return vi.waitFor(
    async () => {
      const state = await stateOf(id);
      if (!state || !["completed", "failed", "canceled"].includes(state.status)) {
        throw new Error(`still ${state?.status}`);
      }
      return state;
    },
    { timeout: 15_000, interval: 50 },
  );
}

describe("the generation deadline (GENERATION_TIMEOUT_SECONDS=2)", () => {
  it("fails with timeout when the upstream never finishes, and then stops polling", async () => {
    const prompt = uniquePrompt("steps=queued,generating");
    const created = await create({ prompt });
    const state = await waitForTerminal(created.id);
    expect(state.error?.code).toBe("timeout");
    expect(state.deadlineAt - state.createdAt).toBe(TIMEOUT_MS);
    expect(state.completedAt).toBeGreaterThanOrEqual(state.deadlineAt);
    // It polled on its own, every 0.1 s, until the deadline.
    const polls = (await upstreamStats({ prompt })).polls;
    expect(polls).toBeGreaterThan(5);
    expect(await runDurableObjectAlarm(stubOf(created.id))).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await upstreamStats({ prompt })).polls).toBe(polls);
  });

  it("fails with download_failed when every copy fails until the deadline, storing nothing", async () => {
    const created = await create({
      prompt: uniquePrompt(`steps=completed download=${Array(80).fill("500").join(",")}`),
    });
    const state = await waitForTerminal(created.id);
    expect(state.error?.code).toBe("download_failed");
    expect(state.error?.message).toContain("HTTP 500");
    expect(state.download.attempts).toBeGreaterThan(1);
    expect(state.completedAt).toBeGreaterThanOrEqual(state.deadlineAt);
    const failures = (await timeline(created.id)).filter((event) => event.type === "storage.failed");
    expect(failures.length).toBe(state.download.attempts);
    expect(await env.VIDEOS.head(`videos/${created.id}.mp4`)).toBeNull();
  });

  it("completes a generation that finishes in time, on its own", async () => {
    const created = await create({ prompt: uniquePrompt("steps=queued,generating,completed") });
    const state = await waitForTerminal(created.id);
    expect(state.status).toBe("completed");
    expect(state.completedAt).toBeLessThan(state.deadlineAt);
  });
});
