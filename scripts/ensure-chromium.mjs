#!/usr/bin/env node
// `pretest`: the playground test drives Debian's Chromium (playwright-core
// cannot download its own browser here). Installs it when missing and we are
// root with apt-get (CI, the project's machines); otherwise says what to do.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

const path = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (existsSync(path)) process.exit(0);

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
if (!isRoot || !existsSync("/usr/bin/apt-get")) {
  console.error(
    `Chromium is needed for test/node/playground.test.ts: install Debian's "chromium" package or set CHROMIUM_PATH.`,
  );
  process.exit(1);
}
console.error("Installing Debian's chromium for the browser test (once per machine)...");
const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
execFileSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "inherit", env });
