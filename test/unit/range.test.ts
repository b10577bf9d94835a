/**
 * Range and If-None-Match parsing for the video route (src/storage/range.ts).
 */
import { describe, expect, it } from "vitest";
import { etagMatches, parseRange } from "../../src/storage/range.ts";

describe("parseRange", () => {
  it.each([
    ["bytes=0-99", { kind: "range", offset: 0, length: 100 }],
    ["bytes=100-", { kind: "range", offset: 100, length: 900 }],
    ["bytes=-100", { kind: "range", offset: 900, length: 100 }],
    ["bytes=-5000", { kind: "range", offset: 0, length: 1000 }],
    ["bytes=990-5000", { kind: "range", offset: 990, length: 10 }],
    ["BYTES = 1-1", { kind: "range", offset: 1, length: 1 }],
    ["bytes=1000-", { kind: "unsatisfiable" }],
    ["bytes=-0", { kind: "unsatisfiable" }],
    ["bytes=500-100", { kind: "unsatisfiable" }],
    ["bytes=0-1,5-9", { kind: "none" }],
    ["items=0-1", { kind: "none" }],
    ["bytes=-", { kind: "none" }],
    ["garbage", { kind: "none" }],
  ])("reads %s of a 1000-byte video", (header, expected) => {
    expect(parseRange(header, 1000)).toEqual(expected);
  });

  it("ignores a missing header", () => {
    expect(parseRange(null, 1000)).toEqual({ kind: "none" });
  });
});

describe("etagMatches", () => {
  const etag = '"abc"';
  it.each([
    ['"abc"', true],
    ['W/"abc"', true],
    ['"x", "abc"', true],
    ["*", true],
    ['"abd"', false],
    [null, false],
  ])("If-None-Match %s → %s", (header, expected) => {
    expect(etagMatches(header, etag)).toBe(expected);
  });
});
