/**
 * The Worker's size as `wrangler deploy` would upload it, measured offline
 * with `wrangler deploy --dry-run --outdir <tmp>` (no Cloudflare account, no
 * network): the code (index.js, every dependency bundled in) raw and gzip,
 * each module uploaded beside it, wrangler's own total, what the code is made
 * of (esbuild's metafile), and the model catalogue's share.
 *
 *   node bench/bundle-size.ts
 *
 * The budget (test/node/bundle-size.test.ts): the code at most 150 KiB gzip.
 */
import { measureWorkerBundle, CATALOGUE_DATA_SOURCE } from "../test/support/bundle-size.ts";
import { printFigure, printHeading, printTable, runBench } from "./lib.ts";

const BUDGET_GZIP_BYTES = 150 * 1024;

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

runBench("bundle-size", 120_000, async () => {
  const report = await measureWorkerBundle();

  printHeading(
    `wrangler deploy --dry-run (${report.minified ? "minified" : "not minified"}, as npm run deploy uploads)`,
  );
  printTable(
    ["module", "raw", "gzip"],
    report.modules.map((module) => [
      module.name === "index.js" ? "index.js (the Worker's code)" : module.name.replace(/^[0-9a-f]{40}-/, ""),
      kib(module.bytes),
      kib(module.gzip),
    ]),
  );
  printFigure("wrangler's Total Upload", `${kib(report.wranglerTotal.bytes)} / gzip ${kib(report.wranglerTotal.gzip)}`);
  printFigure(
    "code budget",
    `${kib(report.main.gzip)} of ${kib(BUDGET_GZIP_BYTES)} gzip`,
    "",
    report.main.gzip <= BUDGET_GZIP_BYTES ? "within" : "OVER",
  );

  printHeading("what index.js is made of (bytes in the output, esbuild metafile)");
  const top = report.inputs.slice(0, 12);
  const rest = report.inputs.slice(12).reduce((sum, input) => sum + input.bytes, 0);
  printTable(
    ["input", "bytes", "share"],
    [...top, { name: `(${report.inputs.length - top.length} more)`, bytes: rest }].map((input) => [
      input.name,
      kib(input.bytes),
      `${((input.bytes / report.main.bytes) * 100).toFixed(1)} %`,
    ]),
  );

  printHeading("the model catalogue's share");
  const { catalogue } = report;
  printFigure(`${CATALOGUE_DATA_SOURCE} in index.js`, kib(catalogue.bytesInMain), "", "raw, from the metafile");
  printFigure("the same file alone, gzip", kib(catalogue.sourceGzip), "", `${kib(catalogue.sourceBytes)} raw`);
  printFigure(
    "index.js without it, gzip",
    `≈ ${kib(report.main.gzip - catalogue.sourceGzip)}`,
    "",
    "index.js gzip minus the file's own gzip: an estimate",
  );
});
