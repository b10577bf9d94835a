/**
 * Typed configuration read from the Worker's vars and secrets (docs/api.md#configuration).
 * Parsed once per isolate per env object; a bad value is a deployment error
 * and is reported by name.
 *
 * `POLL_INTERVAL_SECONDS` has a floor of 0.1 s: a smaller value (0 included)
 * polls every 0.1 s, so a typo cannot turn the relay into a busy loop of
 * alarms and upstream requests.
 */
import type { UpstreamMode } from "./vocabulary.ts";

export interface Config {
  aimlapiBaseUrl: string;
  /** Unset: the built-in simulator is the upstream if SIMULATOR=true, else creates are refused (upstreamMode). */
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
  /**
   * SIMULATOR=true: with no AIMLAPI_KEY, new generations run on the built-in
   * simulator. Unset (the default), a deployment without AIMLAPI_KEY refuses
   * creates (503) rather than serve test videos as if they were real.
   */
  simulator: boolean;
  urlSigningSecret: string | null;
  /** Largest decoded `data:` URI a media field takes (docs/api.md#models). */
  maxInlineMediaBytes: number;
  /**
   * How long a generation is kept after its terminal state and the end of its
   * webhook series before it is deleted (video, inputs, index row, object);
   * 0 keeps everything.
   */
  retentionMs: number;
  /** Retention as the lifecycle reads it: RETENTION_SECONDS and how long one webhook retry series can last. */
  retention: Retention;
  /** CREDIT_BUDGETS: monthly budgets in upstream credits, per client name, and for every other client (`*`). */
  creditBudgets: CreditBudgets;
}

/**
 * How long a finished generation is kept (`ms`, 0: for good), and how long
 * one webhook retry series can last (every delay of the schedule, plus each
 * attempt's timeout): a redelivery delays a deletion by one series at most.
 */
export interface Retention {
  ms: number;
  seriesSpanMs: number;
}

export interface CreditBudgets {
  byClient: ReadonlyMap<string, number>;
  /** The `*` entry: every client not named; null when there is none. */
  others: number | null;
}

/** A client's monthly budget in upstream credits, or null when it has none. */
export function budgetFor(budgets: CreditBudgets, clientId: string): number | null {
  return budgets.byClient.get(clientId) ?? budgets.others;
}

/** `client:credits` entries, comma-separated, `*:credits` for every other client (docs/api.md#spend). */
function creditBudgets(raw: string | undefined): CreditBudgets {
  const byClient = new Map<string, number>();
  let others: number | null = null;
  for (const entry of (raw ?? "").split(",").map((part) => part.trim())) {
    if (entry === "") continue;
    const colon = entry.lastIndexOf(":");
    const name = entry.slice(0, colon).trim();
    const credits = Number(entry.slice(colon + 1).trim());
    if (colon <= 0 || name === "" || !Number.isFinite(credits) || credits < 0 || entry.slice(colon + 1).trim() === "") {
      throw new Error(
        `CREDIT_BUDGETS must be client:credits entries, comma-separated (*:credits for every other client), got "${entry}"`,
      );
    }
    if (name === "*") others = credits;
    else byClient.set(name, credits);
  }
  return { byClient, others };
}

/** The shortest poll interval, whatever POLL_INTERVAL_SECONDS says. */
const POLL_INTERVAL_MIN_MS = 100;
/** A URL_SIGNING_SECRET shorter than this (in UTF-8 bytes) is refused: an HMAC is only as strong as its key. */
const URL_SIGNING_SECRET_MIN_BYTES = 32;

/** MAX_INLINE_MEDIA_BYTES when unset: 20 MiB. */
const DEFAULT_MAX_INLINE_MEDIA_BYTES = 20 * 1024 * 1024;

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

/** `true` or `false` in any case; unset or empty is false. Anything else is a deployment error, named. */
function flag(name: string, raw: string | undefined): boolean {
  const value = (raw ?? "").trim().toLowerCase();
  if (value === "" || value === "false") return false;
  if (value === "true") return true;
  throw new Error(`${name} must be true or false, got "${raw ?? ""}"`);
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
    pollIntervalMs: Math.max(POLL_INTERVAL_MIN_MS, seconds("POLL_INTERVAL_SECONDS", env.POLL_INTERVAL_SECONDS, 10)),
    generationTimeoutMs: seconds("GENERATION_TIMEOUT_SECONDS", env.GENERATION_TIMEOUT_SECONDS, 1800),
    webhookRetryScheduleMs: schedule,
    webhookTimeoutMs: Math.max(1, seconds("WEBHOOK_TIMEOUT_SECONDS", env.WEBHOOK_TIMEOUT_SECONDS, 15)),
    webhookAllowPrivate: (env.WEBHOOK_ALLOW_PRIVATE ?? "").trim().toLowerCase() === "true",
    webhookSecret: nonEmpty(env.WEBHOOK_SECRET),
    videoUrlTtlSeconds: positiveInt("VIDEO_URL_TTL_SECONDS", env.VIDEO_URL_TTL_SECONDS, 604800),
    publicBaseUrl: nonEmpty(env.PUBLIC_BASE_URL)?.replace(/\/+$/, "") ?? null,
    maxActivePerKey: positiveInt("MAX_ACTIVE_PER_KEY", env.MAX_ACTIVE_PER_KEY, 100),
    simulatorMs: seconds("SIMULATOR_SECONDS", env.SIMULATOR_SECONDS, 20),
    simulator: flag("SIMULATOR", env.SIMULATOR),
    urlSigningSecret: urlSigningSecret(env),
    maxInlineMediaBytes: positiveInt(
      "MAX_INLINE_MEDIA_BYTES",
      env.MAX_INLINE_MEDIA_BYTES,
      DEFAULT_MAX_INLINE_MEDIA_BYTES,
    ),
    retentionMs: seconds("RETENTION_SECONDS", env.RETENTION_SECONDS, 0),
    retention: { ms: 0, seriesSpanMs: 0 },
    creditBudgets: creditBudgets(env.CREDIT_BUDGETS),
  };
  config.retention = {
    ms: config.retentionMs,
    seriesSpanMs:
      config.webhookRetryScheduleMs.reduce((sum, delay) => sum + delay, 0) +
      (config.webhookRetryScheduleMs.length + 1) * config.webhookTimeoutMs,
  };
  cache.set(env, config);
  return config;
}

/**
 * What serves new generations: the AI/ML API when AIMLAPI_KEY is set, else
 * the simulator when SIMULATOR=true, else nothing. Read from these two
 * settings alone, so `/healthz` answers even when another var is unreadable
 * (an unreadable SIMULATOR counts as unset; API calls then name it in a 503).
 */
export function upstreamMode(env: Env): UpstreamMode {
  if (nonEmpty(env.AIMLAPI_KEY) !== null) return "aimlapi";
  try {
    return flag("SIMULATOR", env.SIMULATOR) ? "simulator" : "not_configured";
  } catch {
    return "not_configured";
  }
}

/** URL_SIGNING_SECRET, or null when unset or blank. Read on its own by the keyring, which needs nothing else. */
export function urlSigningSecret(env: Env): string | null {
  return nonEmpty(env.URL_SIGNING_SECRET);
}

/**
 * Why this deployment cannot serve the API, or null. The message names the
 * setting and the rule, never a secret's value (or its length): the routes
 * answer it as `503 not_configured`.
 */
export function configurationProblem(env: Env): string | null {
  const secret = urlSigningSecret(env);
  if (secret !== null && new TextEncoder().encode(secret).length < URL_SIGNING_SECRET_MIN_BYTES) {
    return `URL_SIGNING_SECRET is too short: at least ${URL_SIGNING_SECRET_MIN_BYTES} bytes are required (or leave it unset to use the relay's own key)`;
  }
  try {
    readConfig(env);
  } catch (error) {
    // readConfig names the var and its value; vars are not secrets.
    return error instanceof Error ? error.message : "the configuration cannot be read";
  }
  return null;
}
