/**
 * Under load, on a real local runtime: 300 generations created at once on one
 * relay under `wrangler dev` (one client, so one client index), each running
 * on a local fake upstream of its own (127.0.0.1 only) for three polls a
 * second apart, then copied into R2. Every one must complete, each submitted
 * exactly once.
 *
 * Nothing here is about time: the only deadline is the one that stops a stuck
 * run, and it is generous for a busy 2-core machine. Progress is followed in
 * the relay's own log lines, not by reading 300 generations over the API
 * while they run (that would be load of its own); each is read once at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Generation } from "../../src/api/schemas.ts";
import { startFakeAimlapi, type FakeAimlapi } from "../support/fake-aimlapi.ts";
import { parseOutcomes } from "../support/lifecycle-log.ts";
import { startRelay, testRelayVars, type RelayProcess } from "../support/relay-process.ts";
import { TEST_CLIENT_KEYS, TEST_UPSTREAM_KEY } from "../support/constants.ts";

const GENERATIONS = 300;
/** Submitted at once, then `queued`, `generating`, and the video at the third poll. */
const MARKER = "[[fake steps=queued,generating,completed]]";
/** Stops a stuck run; far above what the run takes even on a loaded machine. */
const FINISH_LIMIT_MS = 240_000;
const auth = { Authorization: `Bearer ${TEST_CLIENT_KEYS.alice}` };

/** Runs `fn` over `items` with at most `limit` at a time. */
async function pooled<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T);
    }),
  );
  return out;
}

describe("300 generations at once", () => {
  let upstream: FakeAimlapi;
  let relay: RelayProcess;
  beforeAll(async () => {
    upstream = await startFakeAimlapi({ apiKey: TEST_UPSTREAM_KEY, hangMs: 20_000 });
    relay = await startRelay({
      vars: testRelayVars(upstream.url, { POLL_INTERVAL_SECONDS: "1", MAX_ACTIVE_PER_KEY: String(GENERATIONS * 2) }),
    });
  });
  afterAll(async () => {
    await relay?.stop();
    await upstream?.close();
  });

  it(
    "completes every one of them, each submitted once",
    async () => {
      const prompts = Array.from({ length: GENERATIONS }, (_, i) => `load ${i} ${crypto.randomUUID()} ${MARKER}`);
      const answers = await Promise.all(
        prompts.map(async (prompt) => {
          const response = await fetch(`${relay.url}/v1/generations`, {
            method: "POST",
            headers: { ...auth, "Content-Type": "application/json" },
            body: JSON.stringify({ prompt }),
            signal: AbortSignal.timeout(FINISH_LIMIT_MS),
          });
          return { prompt, status: response.status, body: await response.text() };
        }),
      );
      const refused = answers.filter((a) => a.status !== 202).map((a) => `${a.status} ${a.body.slice(0, 200)}`);
      expect(refused, "creates not accepted").toEqual([]);
      const ids = answers.map((a) => (JSON.parse(a.body) as Generation).id);

      // Until every one has a terminal status line (or the limit, which the assertions below then report).
      const deadline = Date.now() + FINISH_LIMIT_MS;
      let outcomes = parseOutcomes(relay.logs());
      while (ids.some((id) => outcomes.get(id)?.terminal === undefined) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        outcomes = parseOutcomes(relay.logs());
      }

      // Read once each, now: the API's word, not only the log's.
      const generations = await pooled(ids, 16, async (id) => {
        const response = await fetch(`${relay.url}/v1/generations/${id}`, { headers: auth });
        return (await response.json()) as Generation;
      });
      const notCompleted = generations
        .filter((g) => g.status !== "completed" || g.video === null)
        .map((g) => `${g.id} ${g.status} ${g.error?.code ?? ""} ${g.error?.message ?? ""}`);
      expect(notCompleted, "generations that did not complete").toEqual([]);

      // Exactly one submit per prompt reached the fake: none lost, none paid twice.
      const stats = upstream.stats();
      const submitsOff = prompts.filter((p) => stats.submitsByPrompt[p] !== 1);
      expect(submitsOff.map((p) => `${p}: ${stats.submitsByPrompt[p] ?? 0} submits`)).toEqual([]);
    },
    FINISH_LIMIT_MS + 60_000,
  );
});
