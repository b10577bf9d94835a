/**
 * The active quota bounds upstream work, not only relay state, end to end
 * under `wrangler dev` with MAX_ACTIVE_PER_KEY=3: a client that creates,
 * waits for the submission and cancels at once, 30 times over, never has
 * more than 3 tasks running at the (local fake) upstream, because a canceled
 * generation keeps its slot until its paid task ends; and the slots come back
 * once the tasks have ended.
 *
 * The fake upstream counts the tasks of one group (`group=` in the prompt)
 * that run at once: created and not yet polled to a terminal status.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Generation } from "../../src/api/schemas.ts";
import { TEST_CLIENT_KEYS } from "../support/constants.ts";
import { startRelay, testRelayVars, type RelayProcess } from "../support/relay-process.ts";

const MAX_ACTIVE = 3;
const CREATES = 30;
const auth = { Authorization: `Bearer ${TEST_CLIENT_KEYS.alice}` };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a cancel-and-create loop", () => {
  let relay: RelayProcess;

  beforeAll(async () => {
    relay = await startRelay({
      vars: testRelayVars(inject("upstreamUrl"), {
        MAX_ACTIVE_PER_KEY: String(MAX_ACTIVE),
        POLL_INTERVAL_SECONDS: "0.2",
      }),
    });
  });
  afterAll(async () => {
    await relay?.stop();
  });

  const running = async (group: string): Promise<{ running: number; maxRunning: number }> =>
    (await (await fetch(`${inject("upstreamUrl")}/__running?group=${group}`)).json()) as {
      running: number;
      maxRunning: number;
    };

  async function createWhenAllowed(prompt: string): Promise<{ generation: Generation; refusals: number }> {
    let refusals = 0;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
      const response = await fetch(`${relay.url}/v1/generations`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/json" },
        body: JSON.stringify({ prompt }),
      });
      if (response.status === 202) return { generation: (await response.json()) as Generation, refusals };
      expect(response.status, await response.text()).toBe(429);
      refusals++;
      await sleep(100);
    }
    throw new Error("no slot came back within 30 s");
  }

  async function waitForSubmission(id: string): Promise<void> {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(25)) {
      const generation = (await (
        await fetch(`${relay.url}/v1/generations/${id}`, { headers: auth })
      ).json()) as Generation;
      if (generation.upstream.id !== null) return;
    }
    throw new Error(`${id} was not submitted within 10 s`);
  }

  it(`never runs more than MAX_ACTIVE_PER_KEY=${MAX_ACTIVE} upstream tasks, and gives the slots back when they end`, async () => {
    const group = crypto.randomUUID();
    // Each task runs for five polls (about 1 s at 0.2 s a poll) after its cancel.
    const prompt = (i: number) =>
      `A raccoon ${i} [[fake group=${group} steps=generating,generating,generating,generating,completed]]`;
    let refusals = 0;
    for (let i = 0; i < CREATES; i++) {
      const created = await createWhenAllowed(prompt(i));
      refusals += created.refusals;
      await waitForSubmission(created.generation.id);
      const canceled = await fetch(`${relay.url}/v1/generations/${created.generation.id}`, {
        method: "DELETE",
        headers: auth,
      });
      expect(canceled.status).toBe(200);
    }
    const seen = await running(group);
    expect(seen.maxRunning).toBeGreaterThan(0);
    expect(seen.maxRunning).toBeLessThanOrEqual(MAX_ACTIVE);
    // The quota did hold the loop back.
    expect(refusals).toBeGreaterThan(0);

    // Every task ends upstream; the slots come back: MAX_ACTIVE creates in a row are accepted.
    for (const deadline = Date.now() + 20_000; (await running(group)).running > 0; await sleep(100)) {
      if (Date.now() > deadline) throw new Error("the upstream tasks did not end");
    }
    const again = await Promise.all(
      Array.from({ length: MAX_ACTIVE }, async () => {
        for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(100)) {
          const response = await fetch(`${relay.url}/v1/generations`, {
            method: "POST",
            headers: { ...auth, "Content-Type": "application/json" },
            body: JSON.stringify({ prompt: `A heron [[fake group=${group}-after steps=completed]]` }),
          });
          if (response.status === 202) return response.status;
        }
        return 429;
      }),
    );
    expect(again).toEqual(Array<number>(MAX_ACTIVE).fill(202));
  });
});
