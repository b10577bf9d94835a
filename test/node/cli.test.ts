/**
 * End-to-end tests of the command line client: its TypeScript source
 * (src/cli/main.ts, run by Node 22 directly, so no build can be stale) as a
 * child process against the real relay under `wrangler dev`, which talks to
 * the fake AI/ML API started by globalSetup. test/node/package.test.ts runs
 * the compiled one from an installed package.
 */
import { describe, it, expect, beforeAll, afterAll, inject } from "vitest";
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generationStatusValues } from "../../src/client/index.ts";
import { DEFAULT_MODEL_ID, MODELS } from "../../src/models/catalogue.ts";
import { expectedVideoBytes } from "../support/fake-aimlapi.ts";
import { REPO_ROOT, startRelay, testRelayVars, type RelayProcess } from "../support/relay-process.ts";
import { TEST_CLIENT_KEYS } from "../support/constants.ts";

const CLI = join(REPO_ROOT, "src", "cli", "main.ts");
const KEY = TEST_CLIENT_KEYS.alice;
/** Generous for a wrangler-dev relay polling every 0.2 s; each run is killed past it so a hang fails fast. */
const RUN_TIMEOUT_MS = 45_000;

/** The parts of a Generation these tests look at (the full shape is docs/api.md#native-api). */
interface GenerationView {
  id: string;
  object: string;
  status: string;
  input: { prompt: string; resolution: string; aspect_ratio: string; seed?: number; enable_prompt_expansion: boolean };
  video: { url: string; bytes: number; sha256: string } | null;
  error: { code: string; message: string } | null;
  metadata: Record<string, unknown>;
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Called with each stderr chunk and the child, e.g. to send SIGINT once progress shows. */
  onStderr?: (text: string, child: ReturnType<typeof spawn>) => void;
}

let relay: RelayProcess;
let workDir: string;
let counter = 0;

/** A prompt no other test uses, so the fake upstream's per-prompt state never collides. */
function uniquePrompt(directives = ""): string {
  counter++;
  const base = `a fox crossing a frozen lake #cli${counter}-${Math.random().toString(36).slice(2, 8)}`;
  return directives === "" ? base : `${base} [[fake ${directives}]]`;
}

/**
 * Runs the CLI with this process's Node (22: `/usr/bin/env node` may be older
 * under the test runner). WAN_RELAY_URL/KEY point at the test relay unless the
 * test overrides them; undefined removes a variable.
 */
function run(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries({
    ...process.env,
    WAN_RELAY_URL: relay.url,
    WAN_RELAY_KEY: KEY,
    ...options.env,
  })) {
    if (value !== undefined) env[name] = value;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      options.onStderr?.(stderr, child);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** util-linux `script`, which runs a command on a pseudo-terminal: how a test sees what a terminal shows. */
const HAS_SCRIPT = (() => {
  try {
    execFileSync("script", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/**
 * Runs the CLI on a pseudo-terminal (stdout and stderr both a TTY) and
 * returns what the terminal received, both streams together, line ends as
 * `\n` (the live progress line's carriage returns stay).
 */
function runOnTerminal(args: string[]): Promise<RunResult> {
  const quote = (word: string): string => `'${word.replaceAll("'", "'\\''")}'`;
  const command = [process.execPath, CLI, ...args].map(quote).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["--quiet", "--return", "--command", command, "/dev/null"], {
      env: { ...process.env, WAN_RELAY_URL: relay.url, WAN_RELAY_KEY: KEY, TERM: "xterm" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: stdout.replaceAll("\r\n", "\n"), stderr: "" });
    });
  });
}

function parseGeneration(stdout: string): GenerationView {
  return JSON.parse(stdout) as GenerationView;
}

async function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(relay.url + path, {
    ...init,
    headers: { Authorization: `Bearer ${KEY}`, ...(init.headers ?? {}) },
    signal: AbortSignal.timeout(10_000),
  });
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "wan-relay-cli-"));
  relay = await startRelay({ vars: testRelayVars(inject("upstreamUrl")) });
});

afterAll(async () => {
  await relay?.stop();
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

describe("wan-relay CLI", () => {
  it("--help prints usage for the tool and for each command, exit 0, no key needed", async () => {
    const main = await run(["--help"], { env: { WAN_RELAY_KEY: undefined } });
    expect(main.code).toBe(0);
    expect(main.stdout).toContain("Usage: wan-relay <command>");
    for (const command of [
      "generate",
      "status",
      "list",
      "cancel",
      "purge",
      "events",
      "download",
      "models",
      "usage",
      "keys",
    ]) {
      expect(main.stdout).toContain(command);
      const sub = await run([command, "--help"], { env: { WAN_RELAY_KEY: undefined } });
      expect(sub.code, command).toBe(0);
      expect(sub.stdout, command).toContain(`Usage: wan-relay ${command}`);
    }
    const generate = await run(["generate", "-h"]);
    expect(generate.stdout).toContain("--no-prompt-expansion");
    expect(generate.stdout).toContain("--model ID");
    expect(generate.stdout).toContain("--input name=value");
  });

  it("generate without --wait prints the queued Generation as JSON", async () => {
    const prompt = uniquePrompt();
    const result = await run([
      "generate",
      prompt,
      "--resolution",
      "480p",
      "--aspect-ratio",
      "9:16",
      "--seed",
      "42",
      "--no-prompt-expansion",
      "--metadata",
      '{"order":7}',
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const generation = parseGeneration(result.stdout);
    expect(generation.object).toBe("generation");
    expect(generation.id).toMatch(/^gen_/);
    expect(generation.status).toBe("queued");
    expect(generation.input).toMatchObject({
      prompt,
      resolution: "480p",
      aspect_ratio: "9:16",
      seed: 42,
      enable_prompt_expansion: false,
    });
    expect(generation.metadata).toEqual({ order: 7 });
  });

  it("generate --out waits, shows progress on stderr and writes the upstream's exact bytes", async () => {
    // size=N makes the fake upstream serve N known pseudo-random bytes instead of the sample MP4.
    const size = 300_000;
    const out = join(workDir, "video.mp4");
    const result = await run(["generate", uniquePrompt(`size=${size}`), "--out", out, "--interval", "0.2"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/\[\d+\.\ds\] queued/);
    expect(result.stderr).toMatch(/\[\d+\.\ds\] completed \(upstream: completed, upstream polls: \d+\)/);
    expect(result.stderr).toContain(`wrote ${size} bytes to ${out} (sha256 verified)`);
    const generation = parseGeneration(result.stdout);
    expect(generation.status).toBe("completed");

    const written = readFileSync(out);
    expect(written.equals(expectedVideoBytes(size))).toBe(true);
    expect(createHash("sha256").update(written).digest("hex")).toBe(generation.video?.sha256);
    // The temporary .part file was renamed, not left behind.
    expect(readdirSync(workDir).filter((name) => name.endsWith(".part"))).toEqual([]);

    // `download` fetches the same bytes again for an existing generation.
    const again = join(workDir, "again.mp4");
    const download = await run(["download", generation.id, "--out", again]);
    expect(download.code, download.stderr).toBe(0);
    expect(download.stdout).toBe("");
    expect(readFileSync(again).equals(written)).toBe(true);
  });

  it("status, list, events and cancel print the API's JSON", async () => {
    // A task the fake upstream keeps "generating" for good, so it can still be canceled.
    const prompt = uniquePrompt("steps=queued,generating");
    const created = parseGeneration((await run(["generate", prompt])).stdout);

    const status = await run(["status", created.id]);
    expect(status.code, status.stderr).toBe(0);
    expect(parseGeneration(status.stdout).id).toBe(created.id);

    const list = await run(["list", "--limit", "100"]);
    expect(list.code, list.stderr).toBe(0);
    const page = JSON.parse(list.stdout) as { data: GenerationView[]; next_cursor: string | null };
    expect(page.data.map((g) => g.id)).toContain(created.id);

    const limited = await run(["list", "--limit", "1"]);
    expect((JSON.parse(limited.stdout) as { data: GenerationView[] }).data).toHaveLength(1);

    const cancel = await run(["cancel", created.id]);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(parseGeneration(cancel.stdout).status).toBe("canceled");

    const canceledOnly = await run(["list", "--status", "canceled", "--limit", "100"]);
    expect((JSON.parse(canceledOnly.stdout) as { data: GenerationView[] }).data.map((g) => g.id)).toContain(created.id);

    const events = await run(["events", created.id]);
    expect(events.code, events.stderr).toBe(0);
    const timeline = JSON.parse(events.stdout) as { data: { at: string; type: string }[] };
    expect(timeline.data.length).toBeGreaterThan(0);
    expect(timeline.data.every((event) => typeof event.at === "string" && typeof event.type === "string")).toBe(true);

    // Canceling again is the API's 409: its message on stderr, exit 1.
    const again = await run(["cancel", created.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error 409 already_terminal: /);

    // `status --wait` on a canceled generation returns at once, exit 1.
    const waited = await run(["status", created.id, "--wait"]);
    expect(waited.code).toBe(1);
    expect(parseGeneration(waited.stdout).status).toBe("canceled");
    expect(waited.stderr).toContain(`generation ${created.id} canceled`);
  });

  it("--wait on a generation that fails upstream exits 1 with the error on stderr", async () => {
    const result = await run(["generate", uniquePrompt("steps=queued,failed"), "--wait", "--interval", "0.2"]);
    expect(result.code).toBe(1);
    const generation = parseGeneration(result.stdout);
    expect(generation.status).toBe("failed");
    expect(generation.error).not.toBeNull();
    expect(result.stderr).toContain(
      `generation ${generation.id} failed (${generation.error?.code}: ${generation.error?.message})`,
    );
  });

  it("Ctrl-C while waiting exits 130 and leaves the generation running", async () => {
    const prompt = uniquePrompt("steps=queued,generating");
    let sent = false;
    const result = await run(["generate", prompt, "--wait", "--interval", "0.2"], {
      onStderr: (text, child) => {
        // Interrupt once the wait is visibly under way.
        if (!sent && /\[\d+\.\ds\] /.test(text)) {
          sent = true;
          child.kill("SIGINT");
        }
      },
    });
    expect(result.code).toBe(130);
    const id = /created (gen_\S+)/.exec(result.stderr)?.[1];
    expect(id, result.stderr).toBeDefined();
    expect(result.stderr).toContain(`wan-relay status ${id} --wait`);
    const response = await api(`/v1/generations/${id}`);
    const generation = (await response.json()) as GenerationView;
    expect(["queued", "generating"]).toContain(generation.status);
    // Tidy up: nothing else should keep polling this task.
    await api(`/v1/generations/${id}`, { method: "DELETE" });
  });

  it("models lists every model's id and kind, the default marked; --json prints the API's list", async () => {
    const result = await run(["models"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(140);
    expect(lines.map((line) => line.split(/\s+/))).toEqual(
      MODELS.map((model) =>
        model.id === DEFAULT_MODEL_ID ? [model.id, model.kind, "default"] : [model.id, model.kind],
      ),
    );

    const json = await run(["models", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const list = JSON.parse(json.stdout) as { data: { id: string; kind: string; inputs: object }[] };
    expect(list.data.map((model) => model.id)).toEqual(MODELS.map((model) => model.id));
  });

  it("models ID shows the model's inputs, media fields and required ones marked; unknown → 404", async () => {
    const result = await run(["models", "google/veo-3.1-i2v"]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("google/veo-3.1-i2v (image-to-video)");
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}image_url +image \(URL or file\); required$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}duration +one of 4, 6, 8 \(or as a string\), default 8$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}generate_audio +boolean/));

    const json = await run(["models", "klingai/v2.5-turbo/pro/text-to-video", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      id: "klingai/v2.5-turbo/pro/text-to-video",
      kind: "text-to-video",
    });

    const unknown = await run(["models", "google/veo-9"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error 404 not_found: No model "google\/veo-9"/);
  });

  it("generate --model and --input send the model's fields, values read as JSON when they parse", async () => {
    const prompt = uniquePrompt();
    const result = await run([
      "generate",
      prompt,
      "--model",
      "alibaba/wan2.5-t2v-preview",
      "--input",
      "resolution=480p",
      "--input",
      "aspect_ratio=9:16",
      "--input",
      "seed=42",
      "--input",
      "enable_prompt_expansion=false",
      "--input",
      'negative_prompt="12"',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const generation = parseGeneration(result.stdout);
    expect(generation.status).toBe("queued");
    expect(generation.input).toMatchObject({
      prompt,
      resolution: "480p",
      aspect_ratio: "9:16",
      seed: 42,
      enable_prompt_expansion: false,
      negative_prompt: "12",
    });

    // A value of the wrong type is the API's to name.
    const wrong = await run(["generate", uniquePrompt(), "--input", "seed=forty-two"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^error 400 invalid_request: seed /);
  });

  // Needs creation for every model and data: URIs in media fields (issue 7, helper M's branch).
  it("generate --model with a local image file sends it as a data: URI and completes", async () => {
    const image = join(workDir, "first-frame.png");
    const bytes = Buffer.from(
      "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4zwAE/xkgFAAb8gP91pbyKwAAAABJRU5ErkJggg==",
      "base64",
    );
    writeFileSync(image, bytes);
    const out = join(workDir, "i2v.mp4");
    const result = await run([
      "generate",
      uniquePrompt(),
      "--model",
      "google/veo-3.1-i2v",
      "--input",
      `image_url=${image}`,
      "--input",
      "duration=4",
      "--out",
      out,
      "--interval",
      "0.2",
    ]);
    expect(result.code, result.stderr).toBe(0);
    const generation = parseGeneration(result.stdout) as GenerationView & { model: string };
    expect(generation.status).toBe("completed");
    expect(generation.model).toBe("google/veo-3.1-i2v");
    // The echo is a short reference to the image (its sha256 among it), never the data or the path.
    const echoed = JSON.stringify((generation.input as unknown as Record<string, unknown>)["image_url"]);
    expect(echoed).toContain(createHash("sha256").update(bytes).digest("hex"));
    expect(echoed).not.toContain(bytes.toString("base64"));
    expect(echoed).not.toContain(image);
    expect(readFileSync(out).length).toBe(generation.video?.bytes);
  });

  it("a bad value the API rejects prints its 400 message and exits 1", async () => {
    const result = await run(["generate", uniquePrompt(), "--resolution", "4k"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim()).toBe('error 400 invalid_request: resolution must be one of "480p", "720p", "1080p"');
  });

  it("every field the API rejects is named, not only the first", async () => {
    const result = await run(["generate", uniquePrompt(), "--seed", "abc", "--duration", "7"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error 400 invalid_request: /);
    // The wording of each rule is the catalogue's; what matters here is that both fields are named.
    expect(result.stderr).toMatch(/duration must be /);
    expect(result.stderr).toContain("seed must be an integer");
  });

  it("API errors: wrong key 401, unknown id 404", async () => {
    const wrongKey = await run(["list"], { env: { WAN_RELAY_KEY: "not-a-key" } });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/^error 401 unauthorized: /);

    const missing = await run(["status", "gen_doesnotexist"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error 404 not_found: /);
  });

  it("usage errors exit 2 with a clear message", async () => {
    const noKey = await run(["list"], { env: { WAN_RELAY_KEY: undefined } });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain("no API key: pass --key KEY or set WAN_RELAY_KEY");

    // --key on the command line is enough without the environment variable.
    const flagKey = await run(["list", "--limit", "1", "--key", KEY], { env: { WAN_RELAY_KEY: undefined } });
    expect(flagKey.code, flagKey.stderr).toBe(0);

    const cases: { args: string[]; message: string }[] = [
      { args: ["generate"], message: "missing prompt" },
      { args: ["generate", "a", "cat"], message: 'unexpected argument "cat"' },
      { args: ["generate", "x", "--bogus"], message: "Unknown option '--bogus'" },
      { args: ["generate", "x", "--metadata", "{nope"], message: "--metadata is not valid JSON" },
      { args: ["generate", "x", "--input", "seed"], message: '--input must be name=value, got "seed"' },
      {
        args: ["generate", "x", "--resolution", "480p", "--input", "resolution=720p"],
        message: "resolution is given twice: by --input and by another option",
      },
      { args: ["generate", "x", "--input", "prompt=y"], message: "prompt is given twice" },
      { args: ["models", "a", "b"], message: 'unexpected argument "b"' },
      { args: ["generate", "x", "--wait", "--interval", "zero"], message: "--interval must be a number" },
      { args: ["status"], message: "missing ID" },
      { args: ["download", "gen_x"], message: "--out FILE is required" },
      { args: ["frobnicate"], message: 'unknown command "frobnicate"' },
      { args: [], message: "missing command" },
    ];
    for (const { args, message } of cases) {
      const result = await run(args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr, args.join(" ")).toContain(message);
      expect(result.stdout, args.join(" ")).toBe("");
    }
  });

  it("--version prints the package's version, no key needed", async () => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
    const result = await run(["--version"], { env: { WAN_RELAY_KEY: undefined } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${manifest.version}\n`);
    expect(result.stderr).toBe("");
  });

  it("keys NAME prints a new NAME:hex key line, and how to install it on stderr, without a relay", async () => {
    const first = await run(["keys", "acme", "--url", "http://127.0.0.1:9"], { env: { WAN_RELAY_KEY: undefined } });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^acme:[0-9a-f]{64}\n$/);
    expect(first.stderr).toContain("npx wrangler secret put RELAY_API_KEYS");
    expect(first.stderr).toContain('echo "acme:$(openssl rand -hex 32)"');
    expect(first.stderr).toContain(`WAN_RELAY_KEY=${first.stdout.trim().slice("acme:".length)}`);
    const second = await run(["keys", "acme"]);
    expect(second.stdout).not.toBe(first.stdout);

    const secret = await run(["keys", "--webhook-secret"]);
    expect(secret.code, secret.stderr).toBe(0);
    expect(Buffer.from(secret.stdout.trim().replace(/^whsec_/, ""), "base64")).toHaveLength(32);
    expect(secret.stderr).toContain("npx wrangler secret put WEBHOOK_SECRET");
    expect(secret.stderr).toContain('echo "whsec_$(openssl rand -base64 32)"');

    for (const args of [["keys"], ["keys", "a:b"], ["keys", "a,b"], ["keys", "acme", "--webhook-secret"]]) {
      const refused = await run(args);
      expect(refused.code, args.join(" ")).toBe(2);
      expect(refused.stdout, args.join(" ")).toBe("");
    }
  });

  it("usage prints the API's counts as JSON when piped; a bad --since is the API's 400", async () => {
    const result = await run(["usage"]);
    expect(result.code, result.stderr).toBe(0);
    const usage = JSON.parse(result.stdout) as {
      since: null;
      by_status: Record<string, number>;
      videos: object;
      credits: object;
    };
    expect(usage.since).toBeNull();
    expect(Object.keys(usage.by_status)).toEqual([...generationStatusValues]);
    expect(usage.videos).toEqual({ count: expect.any(Number) as number, bytes: expect.any(Number) as number });
    expect(usage.credits).toMatchObject({ month: expect.stringMatching(/^\d{4}-\d{2}$/) as string, budget: null });

    const bad = await run(["usage", "--since", "last tuesday"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error 400 invalid_request: since /);
  });

  it("list --all follows every page into one list", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      ids.push(parseGeneration((await run(["generate", uniquePrompt("steps=queued,generating")])).stdout).id);
    }
    const result = await run(["list", "--limit", "1", "--all"]);
    expect(result.code, result.stderr).toBe(0);
    const all = JSON.parse(result.stdout) as { data: GenerationView[]; next_cursor: string | null };
    expect(all.next_cursor).toBeNull();
    expect(all.data.length).toBeGreaterThanOrEqual(2);
    expect(all.data.map((g) => g.id)).toEqual(expect.arrayContaining(ids));
    for (const id of ids) await api(`/v1/generations/${id}`, { method: "DELETE" });
  });

  it.skipIf(!HAS_SCRIPT)(
    "on a terminal: a live progress line while waiting, tables for list, events and usage",
    async () => {
      const waited = await runOnTerminal(["generate", uniquePrompt(), "--wait"]);
      expect(waited.code, waited.stdout).toBe(0);
      // The line is redrawn in place (carriage return, erase line), then left with the final state.
      const frames = waited.stdout.split("\r\u001b[2K");
      expect(frames.length).toBeGreaterThan(2);
      expect(frames.slice(1, -1).some((frame) => /^. \[\d+\.\ds\] (queued|generating|storing) /.test(frame))).toBe(
        true,
      );
      expect(frames.at(-1)).toMatch(/^\[\d+\.\ds\] completed \(upstream: completed, upstream polls: \d+\)\n\{/);
      const id = /created (gen_\S+)/.exec(waited.stdout)?.[1] ?? "";
      expect(id).not.toBe("");

      const list = await runOnTerminal(["list", "--limit", "3"]);
      expect(list.code, list.stdout).toBe(0);
      const [header, ...rows] = list.stdout.trimEnd().split("\n");
      expect(header?.split(/\s{2,}/)).toEqual(["ID", "STATUS", "MODEL", "CREATED (UTC)", "VIDEO"]);
      expect(rows.length).toBeGreaterThanOrEqual(1);
      expect(rows[0]).toMatch(
        new RegExp(`^${id} +completed +${DEFAULT_MODEL_ID} +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +[\\d.]+ kB$`),
      );

      const events = await runOnTerminal(["events", id]);
      expect(events.code, events.stdout).toBe(0);
      const eventLines = events.stdout.trimEnd().split("\n");
      expect(eventLines[0]?.split(/\s{2,}/)).toEqual(["AT (UTC)", "TYPE", "DETAIL"]);
      expect(eventLines.length).toBeGreaterThan(3);

      const usage = await runOnTerminal(["usage"]);
      expect(usage.code, usage.stdout).toBe(0);
      expect(usage.stdout).toMatch(/^STATUS +GENERATIONS$/m);
      expect(usage.stdout).toMatch(/^completed +[1-9]\d*$/m);
      expect(usage.stdout).toMatch(/^videos stored: [1-9]\d* \(/m);
      expect(usage.stdout).toMatch(/^upstream credits, \d{4}-\d{2}: \d+ no budget \(resets /m);

      // --json on a terminal still gives the API's JSON.
      const json = await runOnTerminal(["list", "--limit", "1", "--json"]);
      expect((JSON.parse(json.stdout) as { data: unknown[] }).data).toHaveLength(1);
    },
  );

  it("stops quietly, exit 0, when the reader of its output goes away (wan-relay models | head)", async () => {
    const child = spawn(process.execPath, [CLI, "models"], {
      env: { ...process.env, WAN_RELAY_URL: relay.url, WAN_RELAY_KEY: KEY },
      stdio: ["ignore", "pipe", "pipe"],
    });
    // Closed before the first line is written: every write meets a closed pipe.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });

  it("an unreachable relay is a clear error, exit 1", async () => {
    // Port 9 (discard) on loopback: nothing listens there in the test environment.
    const result = await run(["list", "--url", "http://127.0.0.1:9"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: cannot reach http:\/\/127\.0\.0\.1:9: /);
  });
});
