/**
 * The create rate per client (docs/api.md#errors): the CREATE_RATE binding of
 * wrangler.jsonc as deployed, 60 creates per 60 s per client, enforced by the
 * binding's local implementation in the vitest pool. That implementation
 * counts in fixed windows aligned to the clock, so the burst starts early in a
 * window (waiting for the next one when too little of this one is left) and
 * the test checks that it stayed inside it.
 */
import { describe, expect, it } from "vitest";
import type { Generation } from "../../../src/api/schemas.ts";
import {
  call,
  create,
  expectCompatError,
  expectNativeError,
  postJson,
  uniquePrompt,
  upstreamStats,
  waitForSubmission,
} from "../helpers.ts";

const LIMIT = 60;
const PERIOD_MS = 60_000;
/** The burst (66 requests and a few checks, a few seconds) fits well within this much of a window. */
const BURST_ROOM_MS = 20_000;

const windowOf = (ms: number): number => Math.floor(ms / PERIOD_MS);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The current window if enough of it is left for the burst, else the next one (waited for). */
async function freshWindow(): Promise<number> {
  const left = PERIOD_MS - (Date.now() % PERIOD_MS);
  if (left < BURST_ROOM_MS) await sleep(left + 250);
  return windowOf(Date.now());
}

async function listCount(as: "alice" | "bob"): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  do {
    const response = await call(`/v1/generations?limit=100${cursor === null ? "" : `&cursor=${cursor}`}`, { as });
    expect(response.status).toBe(200);
    const page = await response.json<{ data: Generation[]; next_cursor: string | null }>();
    count += page.data.length;
    cursor = page.next_cursor;
  } while (cursor !== null);
  return count;
}

describe("the create rate per client (CREATE_RATE, 60 per 60 s)", () => {
  it("answers the 61st create within one window 429 rate_limited with Retry-After until the window ends; another client is unaffected", async () => {
    const window = await freshWindow();
    const before = await listCount("alice");

    // Refused bodies do not count: after these, alice still has all 60 creates of the window.
    for (let i = 0; i < 5; i++) {
      await expectNativeError(await postJson("/v1/generations", { prompt: "" }), 400, "invalid_request");
    }
    // 60 creates, ten at a time (all at once would only queue in the one isolate).
    for (let batch = 0; batch < LIMIT / 10; batch++) {
      await Promise.all(Array.from({ length: 10 }, () => create({ prompt: uniquePrompt() })));
    }

    const refusedPrompt = uniquePrompt();
    const refused = await postJson("/v1/generations", { prompt: refusedPrompt });
    const sentAt = Date.now();
    const error = await expectNativeError(refused, 429, "rate_limited");
    expect(error.message).toContain("CREATE_RATE");
    const retryAfter = Number(refused.headers.get("Retry-After"));
    expect(Number.isInteger(retryAfter), `Retry-After ${refused.headers.get("Retry-After")}`).toBe(true);
    // Seconds until the window ends (the clocks of the test and the limiter agree to within a second).
    const untilWindowEnds = ((window + 1) * PERIOD_MS - sentAt) / 1000;
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(Math.abs(retryAfter - untilWindowEnds)).toBeLessThanOrEqual(1.5);

    // The compatible paths refuse in their own shape, with the same header.
    const compat = await postJson("/v2/video/generations", { prompt: uniquePrompt() });
    expect(Number(compat.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
    await expectCompatError(compat, 429);

    // Another client has its own count.
    const bobs = await create({ prompt: uniquePrompt() }, "bob");

    expect(windowOf(Date.now()), "the burst must stay within one window of the limiter").toBe(window);
    expect(await listCount("alice")).toBe(before + LIMIT);
    await waitForSubmission(bobs.id);
    expect((await upstreamStats({ prompt: refusedPrompt })).submits).toBe(0);
  });
});
