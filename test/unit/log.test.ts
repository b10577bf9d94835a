import { afterEach, describe, expect, it, vi } from "vitest";
import { logEvent, logProblem, scrub } from "../../src/lib/log.ts";

afterEach(() => vi.restoreAllMocks());

describe("scrub", () => {
  it("keeps a URL's scheme, host and path and drops its query and fragment", () => {
    expect(scrub("GET https://relay.example/v1/generations/gen_1/video?expires=1&signature=abc failed")).toBe(
      "GET https://relay.example/v1/generations/gen_1/video failed",
    );
    expect(scrub("fetch http://127.0.0.1:9/files/x.mp4?Expires=1&Signature=s&Key-Pair-Id=K#frag: reset")).toBe(
      "fetch http://127.0.0.1:9/files/x.mp4 reset",
    );
    expect(scrub("path /v1/generations/gen_1/video?signature=abc")).toBe("path /v1/generations/gen_1/video");
  });

  it("redacts webhook secrets and bearer credentials", () => {
    expect(scrub("bad secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw/vMzQdbOYu0= here")).toBe(
      "bad secret whsec_[redacted] here",
    );
    expect(scrub("Authorization: Bearer alice-key-0123456789, next")).toBe("Authorization: Bearer [redacted], next");
  });

  it("cuts long text and leaves plain text alone", () => {
    expect(scrub("upstream_error from generating")).toBe("upstream_error from generating");
    expect(scrub("x".repeat(5_000))).toHaveLength(2_001);
  });
});

describe("logEvent", () => {
  it("writes one JSON line naming the generation, client, model and age, with the event's own fields", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const generation = { id: "gen_1", clientId: "alice", model: "m/1", createdAt: 1_000 };
    logEvent(generation, { event: "generation.stored", bytes: 10, copy_ms: 5, attempt: 1 }, 4_500);
    logEvent(generation, { event: "generation.failed", code: "timeout", from: "generating" }, 9_000);
    expect(log).toHaveBeenCalledTimes(2);
    const [first, second] = log.mock.calls.map((args) => String(args[0]));
    expect(first).not.toContain("\n");
    expect(JSON.parse(first ?? "")).toEqual({
      level: "info",
      event: "generation.stored",
      generation: "gen_1",
      client: "alice",
      model: "m/1",
      age_ms: 3_500,
      bytes: 10,
      copy_ms: 5,
      attempt: 1,
    });
    expect(JSON.parse(second ?? "")).toMatchObject({ level: "warn", event: "generation.failed", code: "timeout" });
  });

  it("scrubs every string field, however deep, and routes the relay's own faults to console.error/warn", () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    logProblem({ event: "http.unhandled_error", path: "/v1/x", error: "at https://h/p?signature=s" });
    logProblem({ event: "index.update_failed", generation: "gen_1", error: "Bearer k" });
    expect(JSON.parse(String(error.mock.calls[0]?.[0]))).toEqual({
      level: "error",
      event: "http.unhandled_error",
      path: "/v1/x",
      error: "at https://h/p",
    });
    expect(JSON.parse(String(warn.mock.calls[0]?.[0]))).toMatchObject({ level: "warn", error: "Bearer [redacted]" });
  });
});
