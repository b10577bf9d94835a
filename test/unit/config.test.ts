/**
 * Reading vars and secrets (src/config.ts): defaults, decimals, bad values
 * named, and the problems that make the API answer 503.
 */
import { describe, expect, it } from "vitest";
import { configurationProblem, readConfig } from "../../src/config.ts";

const env = (vars: Record<string, string> = {}) => vars as unknown as Env;

describe("readConfig", () => {
  it("applies the contract's defaults", () => {
    const config = readConfig(env());
    expect(config).toMatchObject({
      aimlapiBaseUrl: "https://api.aimlapi.com",
      aimlapiKey: null,
      pollIntervalMs: 10_000,
      generationTimeoutMs: 1_800_000,
      webhookRetryScheduleMs: [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400].map((s) => s * 1000),
      webhookTimeoutMs: 15_000,
      webhookAllowPrivate: false,
      videoUrlTtlSeconds: 604800,
      publicBaseUrl: null,
      maxActivePerKey: 100,
      simulatorMs: 20_000,
      urlSigningSecret: null,
      maxInlineMediaBytes: 20_971_520,
    });
  });

  it("takes decimals for seconds and trims trailing slashes from origins", () => {
    const config = readConfig(
      env({
        POLL_INTERVAL_SECONDS: "0.2",
        WEBHOOK_RETRY_SCHEDULE_SECONDS: "0.5, 1.5",
        AIMLAPI_BASE_URL: "http://127.0.0.1:9/",
        PUBLIC_BASE_URL: "https://relay.example/",
      }),
    );
    expect(config.pollIntervalMs).toBe(200);
    expect(config.webhookRetryScheduleMs).toEqual([500, 1500]);
    expect(config.aimlapiBaseUrl).toBe("http://127.0.0.1:9");
    expect(config.publicBaseUrl).toBe("https://relay.example");
  });

  it("treats empty strings as unset", () => {
    const config = readConfig(env({ AIMLAPI_KEY: " ", PUBLIC_BASE_URL: "", WEBHOOK_SECRET: "" }));
    expect(config.aimlapiKey).toBeNull();
    expect(config.publicBaseUrl).toBeNull();
    expect(config.webhookSecret).toBeNull();
  });

  it("reads MAX_INLINE_MEDIA_BYTES as a byte count", () => {
    expect(readConfig(env({ MAX_INLINE_MEDIA_BYTES: "1048576" })).maxInlineMediaBytes).toBe(1_048_576);
  });

  it("reads WEBHOOK_ALLOW_PRIVATE=true in any case", () => {
    expect(readConfig(env({ WEBHOOK_ALLOW_PRIVATE: "TRUE" })).webhookAllowPrivate).toBe(true);
    expect(readConfig(env({ WEBHOOK_ALLOW_PRIVATE: "yes" })).webhookAllowPrivate).toBe(false);
  });

  it.each([
    ["POLL_INTERVAL_SECONDS", "ten"],
    ["GENERATION_TIMEOUT_SECONDS", "-1"],
    ["WEBHOOK_RETRY_SCHEDULE_SECONDS", "5,x"],
    ["MAX_ACTIVE_PER_KEY", "0"],
    ["VIDEO_URL_TTL_SECONDS", "1.5"],
    ["MAX_INLINE_MEDIA_BYTES", "20 MiB"],
    ["MAX_INLINE_MEDIA_BYTES", "0"],
  ])("names %s when its value %s is not valid", (name, value) => {
    expect(() => readConfig(env({ [name]: value }))).toThrow(name);
  });
});

describe("POLL_INTERVAL_SECONDS", () => {
  it.each([
    ["0", 100],
    ["0.01", 100],
    ["0.099", 100],
    ["0.1", 100],
    ["0.25", 250],
  ])("polls no more often than every 0.1 s: %s s → %i ms", (value, ms) => {
    expect(readConfig(env({ POLL_INTERVAL_SECONDS: value })).pollIntervalMs).toBe(ms);
  });
});

describe("configurationProblem", () => {
  const strong = "s".repeat(32);

  it("finds nothing wrong with the defaults", () => {
    expect(configurationProblem(env())).toBeNull();
  });

  it("accepts a URL_SIGNING_SECRET of 32 bytes or more", () => {
    expect(configurationProblem(env({ URL_SIGNING_SECRET: strong }))).toBeNull();
    expect(configurationProblem(env({ URL_SIGNING_SECRET: "s".repeat(200) }))).toBeNull();
  });

  it("treats a blank URL_SIGNING_SECRET as unset", () => {
    expect(configurationProblem(env({ URL_SIGNING_SECRET: "" }))).toBeNull();
    expect(configurationProblem(env({ URL_SIGNING_SECRET: "   " }))).toBeNull();
  });

  it.each([
    ["one byte short", "s".repeat(31)],
    ["a short word", "hunter2"],
    ["32 characters once surrounding spaces are trimmed", `  ${"s".repeat(30)}  `],
  ])("names URL_SIGNING_SECRET, never its value, when it is %s", (_name, secret) => {
    const problem = configurationProblem(env({ URL_SIGNING_SECRET: secret }));
    expect(problem).toMatch(/URL_SIGNING_SECRET/);
    expect(problem).toMatch(/32 bytes/);
    expect(problem).not.toContain(secret.trim());
  });

  it("counts UTF-8 bytes, not characters", () => {
    // 16 two-byte characters: 16 characters but 32 bytes.
    expect(configurationProblem(env({ URL_SIGNING_SECRET: "é".repeat(16) }))).toBeNull();
    expect(configurationProblem(env({ URL_SIGNING_SECRET: "é".repeat(15) }))).toMatch(/URL_SIGNING_SECRET/);
  });

  it("reports a var that cannot be read, by name", () => {
    expect(configurationProblem(env({ MAX_ACTIVE_PER_KEY: "many" }))).toMatch(/MAX_ACTIVE_PER_KEY/);
  });
});
