#!/usr/bin/env node
// Copies the API reference renderer (Swagger UI, from the swagger-ui-dist
// devDependency) into public/docs/assets/, the directory that wrangler.jsonc's
// `assets` serves at /docs/assets/*. It is wrangler.jsonc's `build.command`, so
// every `wrangler dev` and `wrangler deploy` runs it first (plain wrangler,
// npm start, npm run deploy, the Deploy button); `pretest` runs it once before
// the tests start their many `wrangler dev`s. The copies are git-ignored, so
// the renderer is always the version package-lock.json pins. Files already up
// to date are left alone (no rewrite, so a running `wrangler dev` does not
// reload), and a file is replaced by a rename, so runs side by side never see
// half a file.
import { createRequire } from "node:module";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** What the /docs page loads, and the licence texts that go with it. */
export const DOCS_ASSET_FILES = [
  "swagger-ui-bundle.js",
  "swagger-ui-bundle.js.LICENSE.txt",
  "swagger-ui.css",
  "LICENSE",
  "NOTICE",
];

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const DOCS_ASSETS_DIR = join(root, "public", "docs", "assets");

/** Where swagger-ui-dist is installed, or null (a Worker built from the installed wan-relay package: a devDependency). */
function packageDir() {
  try {
    return dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  } catch {
    return null;
  }
}

function sameContent(path, bytes) {
  try {
    return readFileSync(path).equals(bytes);
  } catch {
    return false;
  }
}

/** Copies the renderer; `{version: null}` when swagger-ui-dist is not installed (nothing is copied). */
export function copyDocsAssets() {
  const from = packageDir();
  if (from === null) return { version: null, written: 0 };
  const version = JSON.parse(readFileSync(join(from, "package.json"), "utf8")).version;
  mkdirSync(DOCS_ASSETS_DIR, { recursive: true });
  let written = 0;
  for (const name of DOCS_ASSET_FILES) {
    const source = readFileSync(join(from, name));
    const target = join(DOCS_ASSETS_DIR, name);
    if (sameContent(target, source)) continue;
    const temporary = `${target}.${process.pid}.tmp`;
    writeFileSync(temporary, source);
    renameSync(temporary, target);
    written += 1;
  }
  for (const name of readdirSync(DOCS_ASSETS_DIR)) {
    // Another run's temporary file is its own to rename.
    if (!DOCS_ASSET_FILES.includes(name) && !name.endsWith(".tmp")) {
      rmSync(join(DOCS_ASSETS_DIR, name), { recursive: true, force: true });
    }
  }
  return { version, written };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { version, written } = copyDocsAssets();
  if (version === null) {
    // Not fatal: the Worker works without it, and /docs then says the renderer is missing and links /openapi.json.
    console.error(
      "swagger-ui-dist is not installed, so /docs will have no renderer: `npm install` in a clone (it is a devDependency), or `npm install swagger-ui-dist` next to an installed wan-relay.",
    );
  } else if (written > 0) console.error(`/docs renderer: swagger-ui-dist ${version} copied to public/docs/assets/`);
}
