/**
 * Runs the real relay with `wrangler dev` (local mode: workerd, Durable
 * Objects, alarms, local R2) on a free loopback port, for end-to-end tests,
 * benchmarks and the CLI tests. Stopped by wrangler's own PID, so workerd is
 * not orphaned.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { get as httpGet } from "node:http";
import { get as httpsGet } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { experimental_readRawConfig } from "wrangler";
import { z } from "zod";

import { TEST_RELAY_API_KEYS, TEST_UPSTREAM_KEY, TEST_WEBHOOK_SECRET } from "./constants.ts";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The vars of a relay under test: the local fake upstream, the test keys, fast polling, private webhooks allowed. */
export function testRelayVars(upstreamUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    AIMLAPI_BASE_URL: upstreamUrl,
    AIMLAPI_KEY: TEST_UPSTREAM_KEY,
    RELAY_API_KEYS: TEST_RELAY_API_KEYS,
    WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    WEBHOOK_ALLOW_PRIVATE: "true",
    POLL_INTERVAL_SECONDS: "0.2",
    ...overrides,
  };
}

export interface RelayProcess {
  url: string;
  /** Where local Durable Object and R2 state lives; kept across `restart()`. */
  persistDir: string;
  logs(): string;
  /** Where wrangler writes its bundle and the bundle's source map: `.wrangler/tmp` beside the config it runs. */
  bundleDir: string;
  /** The V8 inspector port of the running `wrangler dev` (it changes on `restart()`). */
  inspectorPort(): number;
  /**
   * PID of the running `wrangler dev` process (null while stopped). Benchmarks
   * walk its descendants to find workerd and read its memory; it changes on `restart()`.
   */
  pid(): number | null;
  /** Stops wrangler (and so workerd) and starts it again on the same port and state. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface RelayOptions {
  vars: Record<string, string>;
  persistDir?: string;
  readyTimeoutMs?: number;
  /** Another Worker's wrangler config (relative to the repo root), e.g. the benches' floor; default wrangler.jsonc. */
  config?: string;
  /** More `wrangler dev` arguments, e.g. `--minify=false` for a profile with the source's names and lines. */
  extraArgs?: readonly string[];
  /**
   * Creates per client per 60 s (the CREATE_RATE rate limit). Default
   * TEST_CREATE_RATE_LIMIT, far above what a test or benchmark creates;
   * "deployed" runs wrangler.jsonc itself, with its own limit.
   */
  createRateLimit?: number | "deployed";
  /** Serve https with wrangler's own self-signed certificate (`--local-protocol https`), for clients that speak only https. */
  https?: boolean;
  /**
   * "wrangler dev" (default), or "lean": the same runtime through wrangler's
   * programmatic API without the developer tooling (no inspector, log lines
   * straight to stdout; lean-dev-server.ts), for benchmarks that set the
   * tooling's cost apart. Not with `https` or `extraArgs`.
   */
  server?: "wrangler dev" | "lean";
}

/** The create rate of relays under test unless they ask for another: no test or benchmark comes near it. */
export const TEST_CREATE_RATE_LIMIT = 1_000_000;

const ConfigSchema = z.looseObject({
  main: z.string(),
  assets: z.looseObject({ directory: z.string() }).optional(),
  ratelimits: z.array(z.looseObject({ name: z.string(), simple: z.looseObject({ limit: z.number() }) })).optional(),
});

/**
 * wrangler.jsonc with CREATE_RATE's limit replaced, written as the only file
 * of a new directory (wrangler has no flag for a binding's settings). Its
 * paths are made absolute, so it runs the repository's code; as a side
 * effect, a developer's .dev.vars (found next to the config) is not read.
 */
function configWithCreateRate(limit: number): { path: string; dir: string } {
  const { rawConfig } = experimental_readRawConfig({ config: join(REPO_ROOT, "wrangler.jsonc") });
  const config = ConfigSchema.parse(rawConfig);
  const absolute = (path: string): string => (isAbsolute(path) ? path : join(REPO_ROOT, path));
  const rateLimit = config.ratelimits?.find((binding) => binding.name === "CREATE_RATE");
  if (rateLimit === undefined) throw new Error("wrangler.jsonc has no CREATE_RATE rate limit");
  rateLimit.simple.limit = limit;
  const written = {
    ...config,
    main: absolute(config.main),
    ...(config.assets ? { assets: { ...config.assets, directory: absolute(config.assets.directory) } } : {}),
    // Alias targets that are paths (zod's, see wrangler.jsonc), not package names.
    ...(config.alias
      ? {
          alias: Object.fromEntries(
            Object.entries(config.alias).map(([name, target]) => [
              name,
              target.startsWith(".") ? absolute(target) : target,
            ]),
          ),
        }
      : {}),
  };
  const dir = mkdtempSync(join(tmpdir(), "wan-relay-config-"));
  const path = join(dir, "wrangler.json");
  writeFileSync(path, JSON.stringify(written, null, 2));
  return { path, dir };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A GET to a local relay that accepts its self-signed certificate when it
 * serves https (fetch would refuse it): the status and the body as text.
 */
export function localGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith("https:") ? httpsGet : httpGet;
    const request = get(url, { headers, rejectUnauthorized: false, timeout: 5_000 }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("timeout", () => request.destroy(new Error("timed out")));
    request.on("error", reject);
  });
}

export async function startRelay(options: RelayOptions): Promise<RelayProcess> {
  const port = await freePort();
  const persistDir = options.persistDir ?? mkdtempSync(join(tmpdir(), "wan-relay-e2e-"));
  const ownsDir = options.persistDir === undefined;
  const url = `${options.https === true ? "https" : "http"}://127.0.0.1:${port}`;
  const limit = options.createRateLimit ?? TEST_CREATE_RATE_LIMIT;
  // Another Worker's config (the floor) has no CREATE_RATE to raise.
  const config = options.config !== undefined || limit === "deployed" ? null : configWithCreateRate(limit);
  let output = "";
  let child: ChildProcess | null = null;
  let inspector = 0;

  const lean = options.server === "lean";
  if (lean && (options.https === true || options.extraArgs !== undefined)) {
    throw new Error('server: "lean" takes neither https nor extraArgs');
  }
  const configPath = config?.path ?? resolve(REPO_ROOT, options.config ?? "wrangler.jsonc");

  const spawnServer = async (): Promise<ChildProcess> => {
    const env = {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      CI: "true",
      NO_COLOR: "1",
    };
    const stdio: ["ignore", "pipe", "pipe"] = ["ignore", "pipe", "pipe"];
    if (lean) {
      const vars = Object.entries(options.vars).map(([name, value]) => `${name}=${value}`);
      const script = join(REPO_ROOT, "test", "support", "lean-dev-server.ts");
      return spawn(process.execPath, [script, configPath, String(port), persistDir, ...vars], {
        cwd: REPO_ROOT,
        env,
        stdio,
      });
    }
    const inspectorPort = await freePort();
    inspector = inspectorPort;
    const args = [
      "dev",
      ...(config === null ? [] : ["--config", config.path]),
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspectorPort),
      "--persist-to",
      persistDir,
      "--show-interactive-dev-session=false",
      ...(options.config === undefined ? [] : ["--config", options.config]),
      ...(options.https === true ? ["--local-protocol", "https"] : []),
      ...(options.extraArgs ?? []),
    ];
    for (const [name, value] of Object.entries(options.vars)) args.push("--var", `${name}:${value}`);
    return spawn(join(REPO_ROOT, "node_modules", ".bin", "wrangler"), args, { cwd: REPO_ROOT, env, stdio });
  };

  const launch = async (): Promise<void> => {
    const proc = await spawnServer();
    child = proc;
    proc.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      if (proc.exitCode !== null)
        throw new Error(`${options.server ?? "wrangler dev"} exited with ${proc.exitCode}:\n${output}`);
      try {
        if (options.https === true) {
          if ((await localGet(`${url}/healthz`)).status === 200) return;
        } else {
          const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
          if (response.ok) return;
        }
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`wrangler dev not ready within the time limit:\n${output}`);
  };

  const halt = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (proc === null || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill("SIGTERM");
    const killed = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 10_000)),
    ]);
    if (!killed) {
      proc.kill("SIGKILL");
      await exited;
    }
  };

  await launch();
  return {
    url,
    persistDir,
    logs: () => output,
    bundleDir: join(dirname(configPath), ".wrangler", "tmp"),
    inspectorPort: () => inspector,
    pid: () => (child !== null && child.exitCode === null ? (child.pid ?? null) : null),
    restart: async () => {
      await halt();
      await launch();
    },
    stop: async () => {
      await halt();
      if (ownsDir) rmSync(persistDir, { recursive: true, force: true });
      if (config !== null) rmSync(config.dir, { recursive: true, force: true });
    },
  };
}
