#!/usr/bin/env node
/**
 * wan-relay: command line client for a wan-relay deployment (CONTRACT.md §8).
 *
 * Plain ESM with Node built-ins only, so it runs with whatever `node` is on the
 * PATH right after `npm ci` (Node >= 20: nothing newer than Node 20's API is
 * used; e.g. parseArgs' `allowNegative` is 22+, hence the literal
 * `--no-prompt-expansion` option).
 *
 * Output rules: the API's JSON goes to stdout (pretty-printed) so it can be
 * piped into jq; progress, warnings and errors go to stderr.
 * Exit codes: 0 success; 1 the generation ended failed/canceled, or an API or
 * network error; 2 usage error; 130 interrupted (Ctrl-C) while waiting.
 */
import { createHash } from "node:crypto";
import { createWriteStream, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";

const DEFAULT_URL = "http://localhost:8787";
const TERMINAL = new Set(["completed", "failed", "canceled"]);
/** Per API request: the relay answers from Durable Object state, never waiting on the upstream. */
const REQUEST_TIMEOUT_MS = 30_000;
/** A download that delivers no byte for this long is considered dead (no cap on total time: videos can be large). */
const DOWNLOAD_IDLE_TIMEOUT_MS = 60_000;
/** While waiting, transient failures (network, 5xx, 429) are retried this many times in a row before giving up. */
const MAX_CONSECUTIVE_POLL_FAILURES = 5;
/** While waiting with no status change, a heartbeat line this often shows the wait is alive. */
const HEARTBEAT_MS = 30_000;

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const EXIT_INTERRUPTED = 130;

/** Thrown for bad command lines: exit 2 with the command's usage hint. */
class UsageError extends Error {
  /** @param {string | null} command whose --help the message points to (null: the general help) */
  constructor(message, command = null) {
    super(message);
    this.command = command;
  }
}
/** Thrown for API, network and generation failures: exit 1 with the message. */
class CliError extends Error {}

// ---------------------------------------------------------------------------
// Help texts (printed verbatim on stdout for --help)

const GLOBAL_OPTIONS = `Global options:
  --url URL        relay origin (env WAN_RELAY_URL, default ${DEFAULT_URL})
  --key KEY        client API key (env WAN_RELAY_KEY; required). Prefer the
                   environment variable: command-line arguments are visible
                   to other users in the process list.
  -h, --help       show help`;

const HELP = {
  main: `Usage: wan-relay <command> [options]

Client for a wan-relay server: Wan 2.5 text-to-video generation.

Commands:
  generate "<prompt>"   create a generation (optionally wait and download it)
  status ID             show a generation (optionally wait and download it)
  list                  list your generations, newest first
  cancel ID             cancel a generation that has not finished
  events ID             show a generation's timeline
  download ID --out F   download a completed generation's video to F

Run "wan-relay <command> --help" for a command's options.

${GLOBAL_OPTIONS}

JSON from the API is printed on stdout; progress and errors on stderr.
Exit codes: 0 success, 1 generation failed/canceled or API error,
2 usage error, 130 interrupted while waiting (the generation keeps running).`,

  generate: `Usage: wan-relay generate "<prompt>" [options]

Creates a generation and prints it (status "queued") as JSON.

Options:
  --resolution R          480p | 720p | 1080p (server default 720p)
  --aspect-ratio A        16:9 | 9:16 | 1:1 (server default 16:9)
  --duration S            5 | 10 seconds
  --negative-prompt T     what the video should not contain
  --seed N                integer 0..2147483647
  --no-prompt-expansion   do not let the model rewrite the prompt
  --webhook-url U         URL the relay calls back when it finishes
  --webhook-events E,...  subset of started,completed,failed,canceled
  --metadata JSON         JSON object echoed back with the generation
  --idempotency-key K     resending with the same key never creates a second generation
  --wait                  poll until completed/failed/canceled, print the final JSON
  --out FILE              download the video to FILE when completed (implies --wait)
  --interval SECONDS      polling interval while waiting (default 2)

${GLOBAL_OPTIONS}`,

  status: `Usage: wan-relay status ID [--wait] [--out FILE] [--interval SECONDS]

Prints a generation as JSON.

Options:
  --wait                  poll until completed/failed/canceled, print the final JSON
  --out FILE              download the video to FILE when completed (implies --wait)
  --interval SECONDS      polling interval while waiting (default 2)

${GLOBAL_OPTIONS}`,

  list: `Usage: wan-relay list [--limit N] [--status S] [--cursor C]

Prints {data: [...], next_cursor} for your generations, newest first.

Options:
  --limit N       1..100 (server default 20)
  --status S      queued | generating | storing | completed | failed | canceled
  --cursor C      next_cursor from the previous page

${GLOBAL_OPTIONS}`,

  cancel: `Usage: wan-relay cancel ID

Cancels a generation that has not finished and prints it as JSON.

${GLOBAL_OPTIONS}`,

  events: `Usage: wan-relay events ID

Prints a generation's timeline {data: [{at, type, detail}, ...]}, oldest first.

${GLOBAL_OPTIONS}`,

  download: `Usage: wan-relay download ID --out FILE

Downloads a completed generation's MP4 to FILE, checking its sha256.

Options:
  --out FILE      where to write the video (required)

${GLOBAL_OPTIONS}`,
};

// ---------------------------------------------------------------------------
// Command-line parsing

const GLOBAL_SPEC = {
  url: { type: "string" },
  key: { type: "string" },
  help: { type: "boolean", short: "h" },
};

const WAIT_SPEC = {
  wait: { type: "boolean" },
  out: { type: "string" },
  interval: { type: "string" },
};

const COMMAND_SPECS = {
  generate: {
    positionals: ["prompt"],
    options: {
      resolution: { type: "string" },
      "aspect-ratio": { type: "string" },
      duration: { type: "string" },
      "negative-prompt": { type: "string" },
      seed: { type: "string" },
      "no-prompt-expansion": { type: "boolean" },
      "webhook-url": { type: "string" },
      "webhook-events": { type: "string" },
      metadata: { type: "string" },
      "idempotency-key": { type: "string" },
      ...WAIT_SPEC,
    },
  },
  status: { positionals: ["ID"], options: { ...WAIT_SPEC } },
  list: {
    positionals: [],
    options: { limit: { type: "string" }, status: { type: "string" }, cursor: { type: "string" } },
  },
  cancel: { positionals: ["ID"], options: {} },
  events: { positionals: ["ID"], options: {} },
  download: { positionals: ["ID"], options: { out: { type: "string" } } },
};

/**
 * Finds the command, then parses strictly with that command's options. The
 * first, lenient pass knows every option that takes a value, so that in
 * `wan-relay --url U generate …` the value U is not mistaken for the command.
 */
function parseCommandLine(argv) {
  const allOptions = { ...GLOBAL_SPEC };
  for (const spec of Object.values(COMMAND_SPECS)) Object.assign(allOptions, spec.options);
  const loose = parseArgs({ args: argv, options: allOptions, allowPositionals: true, strict: false });
  const command = loose.positionals[0];
  if (command === undefined || command === "help") {
    // `wan-relay`, `wan-relay --help`, `wan-relay help [command]`.
    const topic = command === "help" ? loose.positionals[1] : undefined;
    if (topic !== undefined && Object.hasOwn(HELP, topic)) return { command: topic, help: true };
    if (loose.values.help === true || command === "help") return { command: "main", help: true };
    throw new UsageError("missing command");
  }
  if (!Object.hasOwn(COMMAND_SPECS, command)) throw new UsageError(`unknown command "${command}"`);
  const spec = COMMAND_SPECS[command];
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...GLOBAL_SPEC, ...spec.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // parseArgs' messages are already specific ("Unknown option '--foo'", "Option '--seed <value>' argument missing").
    throw new UsageError(error instanceof Error ? error.message : String(error), command);
  }
  if (parsed.values.help === true) return { command, help: true };
  const positionals = parsed.positionals.slice(1);
  if (positionals.length < spec.positionals.length) {
    throw new UsageError(`missing ${spec.positionals[positionals.length]}`, command);
  }
  if (positionals.length > spec.positionals.length) {
    const hint = command === "generate" ? ' (quote the prompt: wan-relay generate "a cat surfing")' : "";
    throw new UsageError(`unexpected argument "${positionals[spec.positionals.length]}"${hint}`, command);
  }
  return { command, help: false, values: parsed.values, positionals };
}

/** Connection settings: flags win over the environment. */
function connection(values, command) {
  const key = values.key ?? process.env.WAN_RELAY_KEY;
  if (key === undefined || key.trim() === "") {
    throw new UsageError("no API key: pass --key KEY or set WAN_RELAY_KEY", command);
  }
  const rawUrl = values.url ?? process.env.WAN_RELAY_URL ?? DEFAULT_URL;
  let base;
  try {
    base = new URL(rawUrl);
  } catch {
    throw new UsageError(`--url is not a valid URL: ${rawUrl}`, command);
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw new UsageError(`--url must be http: or https:, got ${rawUrl}`, command);
  }
  // Keep a path prefix if the relay is mounted under one, without a trailing slash.
  return { base: base.origin + base.pathname.replace(/\/+$/, ""), key: key.trim() };
}

/**
 * A number-looking value is sent as a JSON number; anything else is sent as is,
 * so that the API (the one place that knows the limits) names the problem.
 */
function numberOrRaw(value) {
  return /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
}

function intervalMs(values, command) {
  if (values.interval === undefined) return 2_000;
  const seconds = Number(values.interval);
  if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 3600) {
    throw new UsageError(
      `--interval must be a number of seconds between 0.1 and 3600, got "${values.interval}"`,
      command,
    );
  }
  return seconds * 1000;
}

function buildCreateBody(prompt, values) {
  const body = { prompt };
  if (values.resolution !== undefined) body.resolution = values.resolution;
  if (values["aspect-ratio"] !== undefined) body.aspect_ratio = values["aspect-ratio"];
  if (values.duration !== undefined) body.duration = numberOrRaw(values.duration);
  if (values["negative-prompt"] !== undefined) body.negative_prompt = values["negative-prompt"];
  if (values.seed !== undefined) body.seed = numberOrRaw(values.seed);
  if (values["no-prompt-expansion"] === true) body.enable_prompt_expansion = false;
  if (values["webhook-url"] !== undefined) body.webhook_url = values["webhook-url"];
  if (values["webhook-events"] !== undefined) {
    body.webhook_events = values["webhook-events"]
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  }
  if (values.metadata !== undefined) {
    try {
      body.metadata = JSON.parse(values.metadata);
    } catch (error) {
      throw new UsageError(
        `--metadata is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
        "generate",
      );
    }
  }
  return body;
}

// ---------------------------------------------------------------------------
// HTTP

/** Formats a non-2xx answer: `error 400 invalid_request: <message>` plus any per-field details. */
async function apiError(response) {
  const text = await response.text().catch(() => "");
  let parsed = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (a proxy's HTML page, say): show the start of it below.
  }
  const error = parsed !== null && typeof parsed === "object" ? parsed.error : undefined;
  if (error !== null && typeof error === "object" && typeof error.message === "string") {
    let message = `error ${response.status} ${error.code ?? "error"}: ${error.message}`;
    // The API's message repeats its first detail; name the other offending fields too, so one run shows them all.
    if (Array.isArray(error.details)) {
      for (const detail of error.details) {
        const text = typeof detail?.message === "string" ? detail.message : JSON.stringify(detail);
        if (text !== error.message) message += `\n  also: ${text}`;
      }
    }
    return new CliError(message);
  }
  const snippet = text.trim().replace(/\s+/g, " ").slice(0, 200);
  return new CliError(`error ${response.status} ${response.statusText}${snippet === "" ? "" : `: ${snippet}`}`);
}

/** A response whose status says a retry may succeed (used only while waiting; creation is never retried). */
function isTransient(status) {
  return status === 429 || status >= 500;
}

async function send(conn, method, path, { body, headers = {}, timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
  const init = {
    method,
    headers: { Authorization: `Bearer ${conn.key}`, Accept: "application/json", ...headers },
    signal: AbortSignal.timeout(timeoutMs),
  };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  try {
    return await fetch(conn.base + path, init);
  } catch (error) {
    throw networkError(conn, error);
  }
}

function networkError(conn, error) {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return new CliError(`error: ${conn.base} did not answer within ${REQUEST_TIMEOUT_MS / 1000}s`);
  }
  // undici puts the useful part (ECONNREFUSED, ENOTFOUND…) in `cause`.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const detail = cause instanceof Error ? (cause.code ?? cause.message) : String(cause);
  return new CliError(`error: cannot reach ${conn.base}: ${detail}`);
}

async function requestJson(conn, method, path, options) {
  const response = await send(conn, method, path, options);
  if (!response.ok) throw await apiError(response);
  return response.json();
}

const idPath = (id) => `/v1/generations/${encodeURIComponent(id)}`;

function printJson(value) {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function log(line) {
  process.stderr.write(`${line}\n`);
}

// ---------------------------------------------------------------------------
// Waiting and downloading

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Ctrl-C while waiting: leave the generation running and say how to pick it up again. */
let interruptCleanup = null;
function onInterrupt(id) {
  process.once("SIGINT", () => {
    if (interruptCleanup !== null) {
      interruptCleanup();
      log(`\ninterrupted; download of ${id} abandoned (retry with: wan-relay download ${id} --out FILE)`);
    } else {
      log(`\ninterrupted; ${id} keeps running on the relay (resume with: wan-relay status ${id} --wait)`);
    }
    process.exit(EXIT_INTERRUPTED);
  });
}

function describe(generation) {
  const upstream = generation.upstream ?? {};
  const parts = [];
  if (typeof upstream.status === "string") parts.push(`upstream: ${upstream.status}`);
  if (typeof upstream.polls === "number") parts.push(`upstream polls: ${upstream.polls}`);
  return parts.length > 0 ? `${generation.status} (${parts.join(", ")})` : generation.status;
}

/**
 * Polls GET /v1/generations/ID until a terminal status. Prints a progress line
 * on stderr when the status or the upstream's status changes (and a heartbeat
 * now and then), so stdout stays pure JSON.
 */
async function waitForTerminal(conn, first, everyMs) {
  const started = Date.now();
  const elapsed = () => `[${((Date.now() - started) / 1000).toFixed(1)}s]`;
  let generation = first;
  let lastKey = null;
  let lastPrinted = 0;
  let failures = 0;
  onInterrupt(first.id);
  for (;;) {
    const key = `${generation.status}|${generation.upstream?.status ?? ""}`;
    if (key !== lastKey || Date.now() - lastPrinted >= HEARTBEAT_MS) {
      log(`${elapsed()} ${describe(generation)}`);
      lastKey = key;
      lastPrinted = Date.now();
    }
    if (TERMINAL.has(generation.status)) return generation;
    await sleep(everyMs);
    // Transient trouble (relay restarting, network blip) must not end a long wait; anything else must.
    let response;
    try {
      response = await send(conn, "GET", idPath(generation.id));
    } catch (error) {
      if (++failures > MAX_CONSECUTIVE_POLL_FAILURES) throw error;
      log(`${elapsed()} ${error.message}; retrying`);
      continue;
    }
    if (!response.ok) {
      const error = await apiError(response);
      if (!isTransient(response.status) || ++failures > MAX_CONSECUTIVE_POLL_FAILURES) throw error;
      log(`${elapsed()} ${error.message}; retrying`);
      continue;
    }
    failures = 0;
    generation = await response.json();
  }
}

/**
 * Streams the video to FILE through a temporary file in the same directory
 * (renamed at the end, so FILE is never left half-written), hashing on the way
 * and checking against the Generation's sha256 when known.
 */
async function downloadVideo(conn, id, out, expected) {
  const controller = new AbortController();
  // Headers must arrive promptly; after that only an idle stall aborts (a big file may take long).
  let idleTimer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  const resetIdle = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => controller.abort(), DOWNLOAD_IDLE_TIMEOUT_MS);
  };
  const temp = join(dirname(out), `.${basename(out)}.${process.pid}.part`);
  interruptCleanup = () => rmSync(temp, { force: true });
  try {
    let response;
    try {
      response = await fetch(`${conn.base}${idPath(id)}/video`, {
        headers: { Authorization: `Bearer ${conn.key}` },
        signal: controller.signal,
      });
    } catch (error) {
      throw networkError(conn, error);
    }
    if (!response.ok) throw await apiError(response);
    if (response.body === null) throw new CliError("error: the video response has no body");
    resetIdle();
    const hash = createHash("sha256");
    let bytes = 0;
    const meter = new Transform({
      transform(chunk, _encoding, callback) {
        resetIdle();
        hash.update(chunk);
        bytes += chunk.length;
        callback(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(response.body), meter, createWriteStream(temp));
    } catch (error) {
      if (error instanceof CliError) throw error;
      const why = controller.signal.aborted
        ? `no data for ${DOWNLOAD_IDLE_TIMEOUT_MS / 1000}s`
        : error instanceof Error
          ? error.message
          : String(error);
      throw new CliError(`error: download of ${id} failed: ${why}`);
    }
    const sha256 = hash.digest("hex");
    if (typeof expected === "string" && expected !== sha256) {
      throw new CliError(`error: downloaded video does not match: sha256 ${sha256}, expected ${expected}`);
    }
    renameSync(temp, out);
    log(`wrote ${bytes} bytes to ${out}${typeof expected === "string" ? " (sha256 verified)" : ""}`);
  } finally {
    clearTimeout(idleTimer);
    interruptCleanup = null;
    rmSync(temp, { force: true });
  }
}

/** After --wait: exit 1 unless completed; download if asked. */
async function finish(conn, generation, out) {
  printJson(generation);
  if (generation.status !== "completed") {
    const reason = generation.error ? `${generation.error.code}: ${generation.error.message}` : "no reason given";
    throw new CliError(`generation ${generation.id} ${generation.status} (${reason})`);
  }
  if (out !== undefined) await downloadVideo(conn, generation.id, out, generation.video?.sha256);
}

// ---------------------------------------------------------------------------
// Commands

const COMMANDS = {
  async generate(conn, values, [prompt]) {
    const body = buildCreateBody(prompt, values);
    const every = intervalMs(values, "generate");
    const headers = values["idempotency-key"] !== undefined ? { "Idempotency-Key": values["idempotency-key"] } : {};
    const created = await requestJson(conn, "POST", "/v1/generations", { body, headers });
    if (values.wait !== true && values.out === undefined) return printJson(created);
    log(`created ${created.id}`);
    await finish(conn, await waitForTerminal(conn, created, every), values.out);
  },

  async status(conn, values, [id]) {
    const every = intervalMs(values, "status");
    const generation = await requestJson(conn, "GET", idPath(id));
    if (values.wait !== true && values.out === undefined) return printJson(generation);
    await finish(conn, await waitForTerminal(conn, generation, every), values.out);
  },

  async list(conn, values) {
    const query = new URLSearchParams();
    for (const name of ["limit", "status", "cursor"]) if (values[name] !== undefined) query.set(name, values[name]);
    const search = query.toString() === "" ? "" : `?${query}`;
    printJson(await requestJson(conn, "GET", `/v1/generations${search}`));
  },

  async cancel(conn, _values, [id]) {
    printJson(await requestJson(conn, "DELETE", idPath(id)));
  },

  async events(conn, _values, [id]) {
    printJson(await requestJson(conn, "GET", `${idPath(id)}/events`));
  },

  async download(conn, values, [id]) {
    if (values.out === undefined) throw new UsageError("--out FILE is required", "download");
    // The Generation carries the sha256 to check the bytes against.
    const generation = await requestJson(conn, "GET", idPath(id));
    await downloadVideo(conn, id, values.out, generation.video?.sha256);
  },
};

async function main(argv) {
  let parsed;
  try {
    parsed = parseCommandLine(argv);
    if (parsed.help) {
      process.stdout.write(`${HELP[parsed.command]}\n`);
      return EXIT_OK;
    }
    const conn = connection(parsed.values, parsed.command);
    await COMMANDS[parsed.command](conn, parsed.values, parsed.positionals);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) {
      const command = error.command;
      log(`wan-relay: ${error.message}`);
      log(command !== null ? `Run "wan-relay ${command} --help" for usage.` : `Run "wan-relay --help" for usage.`);
      return EXIT_USAGE;
    }
    if (error instanceof CliError) {
      log(error.message);
      return EXIT_FAILED;
    }
    log(`wan-relay: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return EXIT_FAILED;
  }
}

process.exitCode = await main(process.argv.slice(2));
