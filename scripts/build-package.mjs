#!/usr/bin/env node
// Builds what the package ships besides the Worker's source: the typed client
// (dist/client, ESM with .d.ts) and the command line (dist/cli), compiled by
// tsc from src/client and src/cli. Run by `npm run build:package` and by npm's
// `prepare` (so `npm ci` in a clone and `npm pack` both leave a fresh build).
// Offline and a few seconds: no bundler, one tsc run per target.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// Files of removed modules must not linger in the package.
for (const dir of ["dist/client", "dist/cli"]) rmSync(join(root, dir), { recursive: true, force: true });
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
// The client alone first (DOM types, no Node: what browsers and Workers get), then the CLI on top of it.
for (const project of ["tsconfig.client.json", "tsconfig.cli.json"]) {
  execFileSync(process.execPath, [tsc, "-p", join(root, project)], { stdio: "inherit" });
}
