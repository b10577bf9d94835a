/**
 * The create rate under `wrangler dev` (docs/api.md#errors), with
 * wrangler.jsonc itself (60 creates per 60 s per client): the binding's local
 * implementation enforces it, in fixed windows aligned to the clock, so the
 * burst starts early in a window and the test checks that it stayed inside it.
 * Every other relay under test raises the limit (test/support/relay-process.ts),
 * and this one checks that too.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { TEST_CLIENT_KEYS } from "../support/constants.ts";
import { startRelay, testRelayVars, type RelayProcess } from "../support/relay-process.ts";

const LIMIT = 60;
const PERIOD_MS = 60_000;
/** The burst (61 creates over HTTP, about a second) fits well within this much of a window. */
const BURST_ROOM_MS = 15_000;

const windowOf = (ms: number): number => Math.floor(ms / PERIOD_MS);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freshWindow(): Promise<number> {
  const left = PERIOD_MS - (Date.now() % PERIOD_MS);
  if (left < BURST_ROOM_MS) await sleep(left + 250);
  return windowOf(Date.now());
}

function createAs(relay: RelayProcess, client: keyof typeof TEST_CLIENT_KEYS, path = "/v1/generations") {
  return fetch(`${relay.url}${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TEST_CLIENT_KEYS[client]}`, "Content-Type": "application/json" },
    body: JSON.stringify({ prompt: `A raccoon eats ice cream ${crypto.randomUUID()}` }),
  });
}

/** 61 creates as alice, ten at a time, within one window: their statuses in order. */
async function burst(relay: RelayProcess): Promise<{ statuses: number[]; last: Response; window: number }> {
  const window = await freshWindow();
  const statuses: number[] = [];
  for (let batch = 0; batch < LIMIT / 10; batch++) {
    const answers = await Promise.all(Array.from({ length: 10 }, () => createAs(relay, "alice")));
    statuses.push(...answers.map((answer) => answer.status));
  }
  const last = await createAs(relay, "alice");
  statuses.push(last.status);
  expect(windowOf(Date.now()), "the burst must stay within one window of the limiter").toBe(window);
  return { statuses, last, window };
}

// The generations only need creating: a long poll interval keeps them from running meanwhile.
const vars = () => testRelayVars(inject("upstreamUrl"), { POLL_INTERVAL_SECONDS: "60" });

describe("the create rate under wrangler dev, as deployed (60 per 60 s)", () => {
  let relay: RelayProcess;
  beforeAll(async () => {
    relay = await startRelay({ vars: vars(), createRateLimit: "deployed" });
  }, 120_000);
  afterAll(async () => {
    await relay?.stop();
  });

  it("answers the 61st create within one window 429 rate_limited with Retry-After; another client is unaffected", async () => {
    const { statuses, last, window } = await burst(relay);
    expect(statuses.slice(0, LIMIT)).toEqual(Array.from({ length: LIMIT }, () => 202));
    expect(last.status).toBe(429);
    const body = (await last.json()) as { error: { code: string } };
    expect(body.error.code).toBe("rate_limited");
    const retryAfter = Number(last.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(Math.abs(retryAfter - ((window + 1) * PERIOD_MS - Date.now()) / 1000)).toBeLessThanOrEqual(2);

    const compat = await createAs(relay, "alice", "/v2/video/generations");
    expect(compat.status).toBe(429);
    expect(await compat.json()).toEqual({ message: expect.any(String), statusCode: 429 });
    expect((await createAs(relay, "bob")).status).toBe(202);
  });
});

describe("relays under test", () => {
  let relay: RelayProcess;
  beforeAll(async () => {
    relay = await startRelay({ vars: vars() });
  }, 120_000);
  afterAll(async () => {
    await relay?.stop();
  });

  it("run with a create rate no test comes near (61 creates in one window all pass)", async () => {
    const { statuses } = await burst(relay);
    expect(statuses).toEqual(Array.from({ length: LIMIT + 1 }, () => 202));
  });
});
