/**
 * The AI/ML API adapter's reading of the upstream's words: its status words
 * in the relay's (queued | running | completed | failed), and its error
 * values as one message. The lifecycle never sees the vendor's words.
 */
import { describe, expect, it } from "vitest";
import { describeUpstreamError, taskState } from "../../src/upstream/aimlapi/status.ts";

describe("upstream status words", () => {
  it.each([
    ["queued", "queued"],
    ["waiting", "running"],
    ["active", "running"],
    ["generating", "running"],
    ["thinking-hard", "running"],
    ["completed", "completed"],
    ["succeeded", "completed"],
    ["error", "failed"],
    ["failed", "failed"],
  ])("reads '%s' as %s", (word, state) => {
    expect(taskState(word)).toBe(state);
  });
});

describe("upstream error shapes", () => {
  it.each([
    [
      "{name, message}",
      { name: "ContentPolicyError", message: "prompt rejected" },
      "ContentPolicyError: prompt rejected",
    ],
    [
      "{detail: [...]}",
      { detail: [{ loc: ["body", "prompt"], msg: "too long", type: "value_error" }] },
      "body.prompt: too long",
    ],
    ["a string", "generation failed", "generation failed"],
    ["{message}", { message: "only a message" }, "only a message"],
    ["null", null, "The upstream reported a failure without details"],
    ["a number", 42, "42"],
  ])("describes %s", (_name, error, expected) => {
    expect(describeUpstreamError(error)).toBe(expected);
  });
});
