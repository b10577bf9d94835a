/**
 * The package as people install it: `npm pack` (which builds dist/ through
 * `prepare`), the tarball installed into an empty project offline (from the
 * tarball and the npm cache that `npm ci` filled), then from that project:
 * `npx wan-relay` against a relay under `wrangler dev`, a TypeScript file
 * importing `wan-relay/client` type-checked with tsc, and a browser bundle of
 * `wan-relay/client` alone, which must hold nothing of the Worker.
 */
import { execFile, type ExecFileException } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { expectedVideoBytes } from "../support/fake-aimlapi.ts";
import { TEST_CLIENT_KEYS } from "../support/constants.ts";
import { REPO_ROOT, startRelay, testRelayVars, type RelayProcess } from "../support/relay-process.ts";

interface Manifest {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  bin: Record<string, string>;
}
interface LockEntry {
  version: string;
  resolved?: string;
  integrity?: string;
  dev?: boolean;
  [field: string]: unknown;
}

const MANIFEST = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as Manifest;
/** Bounds each command: a hang fails the test instead of stalling the run. */
const COMMAND_TIMEOUT_MS = 90_000;
/** `wan-relay/client` alone, minified and gzipped: a few kilobytes of client, never the Worker's hundreds. */
const CLIENT_BUDGET_GZIP_BYTES = 16 * 1024;

let workDir: string;
let consumer: string;
let tarball: string;
let relay: RelayProcess;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command with this process's Node first on PATH (npm, npx and the bin's `env node` alike). */
function run(file: string, args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  const path = `${dirname(process.execPath)}${delimiter}${process.env["PATH"] ?? ""}`;
  return new Promise((resolve) => {
    execFile(
      file,
      [...args],
      {
        cwd,
        env: { ...process.env, PATH: path, npm_config_update_notifier: "false", NO_COLOR: "1", ...env },
        timeout: COMMAND_TIMEOUT_MS,
        maxBuffer: 32 * 1024 * 1024,
      },
      (error: ExecFileException | null, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * The consumer's lock file: the tarball, and the package's runtime
 * dependencies pinned as the repository's own lock pins them (with their
 * registry URL and integrity, so `npm ci --offline` finds each in the cache
 * without asking the registry for anything).
 */
function consumerLock(tarballFile: string): object {
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockEntry>;
  };
  const integrity = `sha512-${createHash("sha512").update(readFileSync(tarballFile)).digest("base64")}`;
  const spec = `file:${tarballFile}`;
  const packages: Record<string, object> = {
    "": { name: "consumer", dependencies: { [MANIFEST.name]: spec } },
    [`node_modules/${MANIFEST.name}`]: {
      version: MANIFEST.version,
      resolved: spec,
      integrity,
      dependencies: MANIFEST.dependencies,
      bin: MANIFEST.bin,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === "" || entry.dev === true) continue;
    const name = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    const file = `${name.split("/").at(-1) ?? name}-${entry.version}.tgz`;
    packages[path] = { ...entry, resolved: entry.resolved ?? `https://registry.npmjs.org/${name}/-/${file}` };
  }
  return { name: "consumer", lockfileVersion: 3, requires: true, packages };
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "wan-relay-package-"));
  const packed = await run("npm", ["pack", "--pack-destination", workDir, "--json"], REPO_ROOT);
  expect(packed.code, packed.stderr).toBe(0);
  const [info] = JSON.parse(packed.stdout) as { filename: string }[];
  if (info === undefined) throw new Error(`npm pack printed no file:\n${packed.stdout}`);
  tarball = join(workDir, info.filename);

  consumer = join(workDir, "consumer");
  mkdirSync(consumer);
  writeFileSync(
    join(consumer, "package.json"),
    JSON.stringify({
      name: "consumer",
      private: true,
      type: "module",
      dependencies: { [MANIFEST.name]: `file:${tarball}` },
    }),
  );
  writeFileSync(join(consumer, "package-lock.json"), JSON.stringify(consumerLock(tarball), null, 2));
  const installed = await run("npm", ["ci", "--offline", "--no-audit", "--no-fund"], consumer);
  expect(
    installed.code,
    `npm ci --offline (the npm cache must hold the runtime dependencies):\n${installed.stderr}`,
  ).toBe(0);
  relay = await startRelay({ vars: testRelayVars(inject("upstreamUrl")) });
}, 240_000);

afterAll(async () => {
  await relay?.stop();
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

/**
 * `npx wan-relay …` in the consumer project, as a user types it, against the
 * test relay. npx finds the installed bin; `yes=false` forbids it to fetch
 * anything if it did not.
 */
const npxWanRelay = (args: readonly string[]): Promise<Run> =>
  run("npx", ["wan-relay", ...args], consumer, {
    npm_config_yes: "false",
    WAN_RELAY_URL: relay.url,
    WAN_RELAY_KEY: TEST_CLIENT_KEYS.alice,
  });

describe("the packed package, installed into an empty project", () => {
  it("ships the built client and CLI, and the Worker's source, but no tests or benches", async () => {
    const listed = await run("tar", ["-tzf", tarball], workDir);
    const files = listed.stdout.split("\n").filter((line) => line !== "");
    for (const file of [
      "package/dist/client/index.js",
      "package/dist/client/index.d.ts",
      "package/dist/cli/main.js",
      "package/src/index.ts",
      "package/wrangler.jsonc",
      "package/docs/client.md",
    ]) {
      expect(files).toContain(file);
    }
    expect(files.filter((file) => /^package\/(test|bench|bin)\//.test(file))).toEqual([]);
  });

  it("runs npx wan-relay --version, models and keys", async () => {
    const version = await npxWanRelay(["--version"]);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout).toBe(`${MANIFEST.version}\n`);

    const models = await npxWanRelay(["models"]);
    expect(models.code, models.stderr).toBe(0);
    const lines = models.stdout.trimEnd().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(140);
    expect(lines.filter((line) => line.endsWith("  default"))).toHaveLength(1);

    const keys = await npxWanRelay(["keys", "acme"]);
    expect(keys.code, keys.stderr).toBe(0);
    expect(keys.stdout).toMatch(/^acme:[0-9a-f]{64}\n$/);
  });

  it("runs generate --out: follows the generation and writes the verified video", async () => {
    const size = 100_000;
    const out = join(workDir, "from-package.mp4");
    const result = await npxWanRelay(["generate", `a kite over dunes #package [[fake size=${size}]]`, "--out", out]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: "completed" });
    expect(result.stderr).toContain(`wrote ${size} bytes to ${out} (sha256 verified)`);
    expect(readFileSync(out).equals(expectedVideoBytes(size))).toBe(true);
  });

  it("gives a TypeScript consumer the client's types: docs/client.md's integration compiles", async () => {
    const docs = readFileSync(join(REPO_ROOT, "docs", "client.md"), "utf8");
    const integration = /```ts\n([\s\S]*?)```/.exec(docs)?.[1];
    expect(integration, "docs/client.md has a ```ts block").toBeDefined();
    writeFileSync(
      join(consumer, "integration.ts"),
      `${integration ?? ""}
// The types are the API's, not \`any\`: each line below must fail to compile.
// @ts-expect-error: not a status of the API
const wrong: Awaited<ReturnType<typeof relay.get>>["status"] = "done";
// @ts-expect-error: list takes the API's statuses only
relay.list({ status: "done" });
// @ts-expect-error: a webhook event's type is one of the four generation events
const kind: "generation.done" = (await verifyWebhook("{}", {}, "whsec_x")).type;
console.log(wrong, kind);
`,
    );
    writeFileSync(
      join(consumer, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "es2022",
          module: "nodenext",
          moduleResolution: "nodenext",
          lib: ["es2022", "dom"],
          types: [],
          strict: true,
          noEmit: true,
        },
        files: ["integration.ts"],
      }),
    );
    const tsc = join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
    const checked = await run(process.execPath, [tsc, "-p", consumer], consumer);
    expect(checked.code, checked.stdout).toBe(0);
  });

  it("builds the Worker from the installed package (wrangler deploy --dry-run with its wrangler.jsonc)", async () => {
    const outdir = join(workDir, "worker");
    const wrangler = join(REPO_ROOT, "node_modules", ".bin", "wrangler");
    // From the package's own directory: wrangler runs its build step (build.command) in the working directory.
    const packageDir = join(consumer, "node_modules", MANIFEST.name);
    const config = join(packageDir, "wrangler.jsonc");
    const built = await run(wrangler, ["deploy", "--dry-run", "--config", config, "--outdir", outdir], packageDir, {
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
    });
    expect(built.code, `${built.stdout}\n${built.stderr}`).toBe(0);
    expect(readFileSync(join(outdir, "index.js"), "utf8")).toContain("GenerationObject");
  });

  it("bundles wan-relay/client alone without any of the Worker (no hono, no zod), in a few kilobytes", async () => {
    const entry = join(consumer, "entry.js");
    writeFileSync(entry, `export { WanRelay, verifyWebhook } from "wan-relay/client";\n`);
    const result = await build({
      entryPoints: [entry],
      absWorkingDir: consumer,
      bundle: true,
      minify: true,
      format: "esm",
      platform: "browser",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    const packages = new Set(inputs.map((path) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path));
    expect([...packages].sort()).toEqual(["@noble/hashes", "entry.js", "eventsource-parser", "wan-relay"].sort());
    expect(inputs.filter((path) => path.includes("wan-relay/") && !path.includes("wan-relay/dist/client/"))).toEqual(
      [],
    );
    const code = result.outputFiles[0]?.contents ?? new Uint8Array();
    const gzip = gzipSync(code).byteLength;
    console.info(`wan-relay/client: ${code.byteLength} bytes minified, ${gzip} bytes gzip`);
    expect(gzip).toBeLessThanOrEqual(CLIENT_BUDGET_GZIP_BYTES);
  });
});
