/**
 * What `wrangler deploy` would upload, measured offline: `wrangler deploy
 * --dry-run --outdir <tmp> --metafile` builds the Worker exactly as a deploy
 * does (wrangler.jsonc's settings, minification included) without contacting
 * Cloudflare. Used by `bench/bundle-size.ts` (prints) and
 * `test/node/bundle-size.test.ts` (the budgets: 150 KiB gzip of code, 200 KiB uploaded).
 *
 * Sizes are bytes; gzip is zlib's default level, as wrangler's own
 * "Total Upload: … / gzip: …" line uses.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { REPO_ROOT } from "./relay-process.ts";

/** The catalogue rows, as the Worker bundles them. */
export const CATALOGUE_DATA_SOURCE = "src/models/catalogue-data.ts";

export interface ModuleSize {
  /** File name in the output directory (wrangler prefixes Data/Text modules with a content hash). */
  name: string;
  bytes: number;
  gzip: number;
}

export interface BundleReport {
  /** The Worker's code: the main module, every JavaScript dependency bundled in. */
  main: ModuleSize;
  /** Every module uploaded with it (pages as Text, the simulator's MP4 as Data), main first. */
  modules: ModuleSize[];
  /** Wrangler's own "Total Upload" figures, in bytes (rounded from its KiB). */
  wranglerTotal: { bytes: number; gzip: number };
  /** Whether wrangler minified the code (wrangler.jsonc `minify`). */
  minified: boolean;
  /** Bytes each input contributes to the main module, from esbuild's metafile: `src/…` files and npm packages. */
  inputs: { name: string; bytes: number }[];
  /** The catalogue data: bytes in the main module, and the gzip size of its source file alone. */
  catalogue: { bytesInMain: number; sourceBytes: number; sourceGzip: number };
}

const sizeOf = (name: string, content: Buffer): ModuleSize => ({
  name,
  bytes: content.byteLength,
  gzip: gzipSync(content).byteLength,
});

interface Metafile {
  outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }>; entryPoint?: string }>;
}

/** `node_modules/@scope/pkg/…` and `node_modules/pkg/…` → the package; anything else as it is. */
function inputGroup(path: string): string {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return match?.[1] ?? path;
}

const KIB = 1024;
const execFileAsync = promisify(execFile);

/** Builds the Worker as `wrangler deploy` would, into a temporary directory, and measures it. */
export async function measureWorkerBundle(): Promise<BundleReport> {
  const outdir = mkdtempSync(join(tmpdir(), "wan-relay-bundle-"));
  try {
    const wrangler = join(REPO_ROOT, "node_modules", ".bin", "wrangler");
    const metafile = join(outdir, "meta.json");
    const { stdout, stderr } = await execFileAsync(
      wrangler,
      ["deploy", "--dry-run", "--outdir", outdir, "--metafile", metafile],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1" },
        timeout: 120_000,
        maxBuffer: 16 * KIB * KIB,
      },
    );
    const output = `${stdout}\n${stderr}`;
    const total = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(output);
    if (total === null) throw new Error(`no "Total Upload" line in wrangler's output:\n${output}`);

    const files = readdirSync(outdir).filter(
      (name) => !name.endsWith(".map") && name !== "README.md" && name !== "meta.json",
    );
    const modules = files
      .filter((name) => statSync(join(outdir, name)).isFile())
      .map((name) => sizeOf(name, readFileSync(join(outdir, name))))
      .sort((a, b) => (a.name === "index.js" ? -1 : b.name === "index.js" ? 1 : b.gzip - a.gzip));
    const main = modules.find((module) => module.name === "index.js");
    if (main === undefined) throw new Error(`no index.js among ${files.join(", ")}`);

    const meta = JSON.parse(readFileSync(metafile, "utf8")) as Metafile;
    const bundled = Object.entries(meta.outputs).find(([name]) => name.endsWith("index.js"))?.[1];
    if (bundled === undefined) throw new Error("the metafile names no index.js output");
    const groups = new Map<string, number>();
    let catalogueBytes = 0;
    for (const [path, input] of Object.entries(bundled.inputs)) {
      const group = inputGroup(path);
      groups.set(group, (groups.get(group) ?? 0) + input.bytesInOutput);
      if (path.endsWith(CATALOGUE_DATA_SOURCE)) catalogueBytes += input.bytesInOutput;
    }
    const source = readFileSync(join(REPO_ROOT, CATALOGUE_DATA_SOURCE));

    return {
      main,
      modules,
      wranglerTotal: { bytes: Math.round(Number(total[1]) * KIB), gzip: Math.round(Number(total[2]) * KIB) },
      // esbuild marks each input with a `// path` comment unless it minifies.
      minified: !/\n\/\/ src\//.test(readFileSync(join(outdir, "index.js"), "utf8")),
      inputs: [...groups].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes),
      catalogue: {
        bytesInMain: catalogueBytes,
        sourceBytes: source.byteLength,
        sourceGzip: gzipSync(source).byteLength,
      },
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
