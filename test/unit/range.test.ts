/**
 * What the video route hands R2 for a Range header (src/storage/range.ts).
 */
import { describe, expect, it } from "vitest";
import { decideRange } from "../../src/storage/range.ts";

describe("decideRange", () => {
  it.each([
    ["bytes=0-99", { kind: "single", header: "bytes=0-99" }],
    ["bytes=100-", { kind: "single", header: "bytes=100-" }],
    ["bytes=-100", { kind: "single", header: "bytes=-100" }],
    ["bytes=-5000", { kind: "single", header: "bytes=-5000" }],
    ["bytes=990-5000", { kind: "single", header: "bytes=990-5000" }],
    ["BYTES = 1-1", { kind: "single", header: "bytes=1-1" }],
    ["bytes=1000-", { kind: "unsatisfiable" }],
    ["bytes=1000-2000", { kind: "unsatisfiable" }],
    ["bytes=-0", { kind: "unsatisfiable" }],
    ["bytes=1000-, 2000-", { kind: "unsatisfiable" }],
    ["bytes=0-1,5-9", { kind: "whole" }],
    ["bytes=1000-,5-9", { kind: "whole" }],
    ["bytes=500-100", { kind: "whole" }],
    ["items=0-1", { kind: "whole" }],
    ["bytes=-", { kind: "whole" }],
    ["bytes=", { kind: "whole" }],
    ["bytes=0-1,x", { kind: "whole" }],
    ["garbage", { kind: "whole" }],
  ])("reads %s of a 1000-byte video", (header, expected) => {
    expect(decideRange(header, 1000)).toEqual(expected);
  });

  it("ignores a missing header", () => {
    expect(decideRange(null, 1000)).toEqual({ kind: "whole" });
  });

  it("finds no range satisfiable in an empty video", () => {
    expect(decideRange("bytes=-10", 0)).toEqual({ kind: "unsatisfiable" });
    expect(decideRange("bytes=0-", 0)).toEqual({ kind: "unsatisfiable" });
  });
});
