import { describe, expect, it } from "vitest";
import { countCreate, secondsUntilWindowEnds } from "../../src/routes/create-rate.ts";
import { ApiError } from "../../src/lib/errors.ts";

const MINUTE_MS = 60_000;
const at = (minute: number, ms: number): number => minute * MINUTE_MS + ms;

describe("secondsUntilWindowEnds", () => {
  it("counts whole seconds to the end of the clock-aligned minute, rounding up", () => {
    expect(secondsUntilWindowEnds(at(29_000_000, 0))).toBe(60);
    expect(secondsUntilWindowEnds(at(29_000_000, 100))).toBe(60);
    expect(secondsUntilWindowEnds(at(29_000_000, 1_000))).toBe(59);
    expect(secondsUntilWindowEnds(at(29_000_000, 58_500))).toBe(2);
  });

  it("never answers less than 1 second", () => {
    expect(secondsUntilWindowEnds(at(29_000_000, 59_999))).toBe(1);
  });

  it("follows a 10 s period too", () => {
    expect(secondsUntilWindowEnds(at(29_000_000, 3_200), 10)).toBe(7);
  });
});

describe("countCreate", () => {
  it("keys the limiter by the client's name and passes while it says so", async () => {
    const keys: string[] = [];
    await countCreate({ limit: async ({ key }) => (keys.push(key), { success: true }) }, "acme");
    expect(keys).toEqual(["acme"]);
  });

  it("refuses 429 rate_limited with Retry-After once the limiter says no", async () => {
    const refusal = await countCreate({ limit: async () => ({ success: false }) }, "acme").catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ApiError);
    const error = refusal as ApiError;
    expect([error.status, error.code]).toEqual([429, "rate_limited"]);
    const retryAfter = Number(error.headers?.["Retry-After"]);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });
});
