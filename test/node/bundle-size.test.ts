/**
 * The size budget: the Worker's code, as `wrangler deploy` would upload it
 * (built offline by `wrangler deploy --dry-run`), stays at or under 150 KiB
 * gzip with the whole model catalogue and its JSON Schemas in it, and the
 * whole upload (pages included) under 200 KiB. `npm run bench` prints the
 * figures (bench/bundle-size.ts).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { MODELS } from "../../src/models/catalogue.ts";
import { measureWorkerBundle, type BundleReport } from "../support/bundle-size.ts";

const CODE_BUDGET_GZIP_BYTES = 150 * 1024;
const UPLOAD_BUDGET_GZIP_BYTES = 200 * 1024;

describe("the Worker bundle", () => {
  let report: BundleReport;
  beforeAll(async () => {
    report = await measureWorkerBundle();
  });

  it("measures what wrangler uploads: its modules add up to wrangler's own total", () => {
    const total = report.modules.reduce((sum, module) => sum + module.bytes, 0);
    // Wrangler prints KiB with two decimals.
    expect(Math.abs(total - report.wranglerTotal.bytes)).toBeLessThanOrEqual(6);
    expect(report.modules[0]?.name).toBe("index.js");
  });

  it("carries the whole catalogue", () => {
    expect(MODELS.length).toBeGreaterThanOrEqual(140);
    expect(report.catalogue.bytesInMain).toBeGreaterThan(0);
  });

  it("keeps the whole upload (script, pages, no video: the sample is a static asset) at or under 200 KiB gzip", () => {
    expect(report.modules.some((module) => module.name.endsWith(".mp4"))).toBe(false);
    expect(
      report.wranglerTotal.gzip,
      `wrangler uploads ${(report.wranglerTotal.gzip / 1024).toFixed(1)} KiB gzip`,
    ).toBeLessThanOrEqual(UPLOAD_BUDGET_GZIP_BYTES);
  });

  it("keeps the Worker's code at or under 150 KiB gzip", () => {
    expect(
      report.main.gzip,
      `index.js is ${(report.main.gzip / 1024).toFixed(1)} KiB gzip (${report.main.bytes} bytes raw)`,
    ).toBeLessThanOrEqual(CODE_BUDGET_GZIP_BYTES);
  });
});
