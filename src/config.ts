/**
 * Typed configuration read from the Worker's vars and secrets (CONTRACT.md §2).
 * Parsed once per isolate per env object; a bad value is a deployment error
 * and is reported by name.
 */

export interface Config {
  aimlapiBaseUrl: string;
  /** Unset: the built-in simulator is the upstream. */
  aimlapiKey: string | null;
  pollIntervalMs: number;
  generationTimeoutMs: number;
  webhookRetryScheduleMs: number[];
  webhookTimeoutMs: number;
  webhookAllowPrivate: boolean;
  webhookSecret: string | null;
  videoUrlTtlSeconds: number;
  publicBaseUrl: string | null;
  maxActivePerKey: number;
  simulatorMs: number;
  urlSigningSecret: string | null;
}

const DEFAULT_RETRY_SCHEDULE = "5,300,1800,7200,18000,36000,50400,72000,86400";

function seconds(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === "") return fallback * 1000;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`${name} must be a non-negative number of seconds, got "${raw}"`);
  }
  return Math.round(value * 1000);
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

function nonEmpty(raw: string | undefined): string | null {
  return raw === undefined || raw.trim() === "" ? null : raw.trim();
}

const cache = new WeakMap<object, Config>();

export function readConfig(env: Env): Config {
  const cached = cache.get(env);
  if (cached) return cached;
  const schedule = (env.WEBHOOK_RETRY_SCHEDULE_SECONDS || DEFAULT_RETRY_SCHEDULE)
    .split(",")
    .map((part) => seconds("WEBHOOK_RETRY_SCHEDULE_SECONDS", part, 0));
  const config: Config = {
    aimlapiBaseUrl: (nonEmpty(env.AIMLAPI_BASE_URL) ?? "https://api.aimlapi.com").replace(/\/+$/, ""),
    aimlapiKey: nonEmpty(env.AIMLAPI_KEY),
    pollIntervalMs: Math.max(1, seconds("POLL_INTERVAL_SECONDS", env.POLL_INTERVAL_SECONDS, 10)),
    generationTimeoutMs: seconds("GENERATION_TIMEOUT_SECONDS", env.GENERATION_TIMEOUT_SECONDS, 1800),
    webhookRetryScheduleMs: schedule,
    webhookTimeoutMs: Math.max(1, seconds("WEBHOOK_TIMEOUT_SECONDS", env.WEBHOOK_TIMEOUT_SECONDS, 15)),
    webhookAllowPrivate: (env.WEBHOOK_ALLOW_PRIVATE ?? "").trim().toLowerCase() === "true",
    webhookSecret: nonEmpty(env.WEBHOOK_SECRET),
    videoUrlTtlSeconds: positiveInt("VIDEO_URL_TTL_SECONDS", env.VIDEO_URL_TTL_SECONDS, 604800),
    publicBaseUrl: nonEmpty(env.PUBLIC_BASE_URL)?.replace(/\/+$/, "") ?? null,
    maxActivePerKey: positiveInt("MAX_ACTIVE_PER_KEY", env.MAX_ACTIVE_PER_KEY, 100),
    simulatorMs: seconds("SIMULATOR_SECONDS", env.SIMULATOR_SECONDS, 20),
    urlSigningSecret: nonEmpty(env.URL_SIGNING_SECRET),
  };
  cache.set(env, config);
  return config;
}
