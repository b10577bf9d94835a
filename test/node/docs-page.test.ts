/**
 * The API reference at /docs in a real browser (Debian's Chromium driven by
 * playwright-core) against plain `wrangler dev` (no npm script: the renderer,
 * Swagger UI, is copied into the Workers static assets by wrangler's own build
 * step): it opens on the list of every operation of /openapi.json, each
 * closed; a click opens one with its parameters, request fields and responses;
 * the webhook events have their own section; the page requests nothing from
 * any host but the relay's, and logs no error.
 *
 * `SCREENSHOT_DIR=docs/screenshots npx vitest run --project node test/node/docs-page.test.ts`
 * also saves docs.png there (the committed one in docs/screenshots/).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../support/chromium.ts";
import { TEST_RELAY_API_KEYS } from "../support/constants.ts";
import { startRelay, type RelayProcess } from "../support/relay-process.ts";

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"] as const;

interface Operation {
  parameters?: { name: string; in: string }[];
  responses: Record<string, unknown>;
}
type PathItem = Partial<Record<(typeof METHODS)[number], Operation>>;
interface Document {
  paths: Record<string, PathItem>;
  webhooks?: Record<string, PathItem>;
}

const operationsOf = (items: Record<string, PathItem>) =>
  METHODS.flatMap((method) =>
    Object.entries(items).flatMap(([path, item]) => {
      const operation = item[method];
      return operation === undefined ? [] : [{ method, path, operation }];
    }),
  );

/** Swagger UI's block for one operation (the summary carries the method and the path, or the event's name). */
function operationBlock(page: Page, method: string, path: string, within: Page | Locator = page): Locator {
  // `has` is matched inside each block, so it is built from the page, not from `within`.
  return within.locator(`.opblock.opblock-${method}`).filter({
    has: page.locator(`.opblock-summary-path[data-path="${path}"]`),
  });
}

describe("the API reference at /docs, under plain wrangler dev", () => {
  let relay: RelayProcess;
  let browser: Browser;
  let doc: Document;
  let page: Page;
  const requested: string[] = [];
  const failed: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    relay = await startRelay({ vars: { RELAY_API_KEYS: TEST_RELAY_API_KEYS } });
    doc = (await (await fetch(`${relay.url}/openapi.json`)).json()) as Document;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on("request", (request) => requested.push(request.url()));
    page.on("requestfailed", (request) => failed.push(`${request.url()}: ${request.failure()?.errorText ?? ""}`));
    page.on("response", (response) => {
      if (response.status() >= 400) failed.push(`${response.url()}: ${response.status()}`);
    });
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    // A blocked load (Content-Security-Policy) is an attempt to reach another host too.
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (event) => {
        console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    await page.goto(`${relay.url}/docs`);
  });
  afterAll(async () => {
    await browser?.close();
    await relay?.stop();
  });

  it("gets its renderer from wrangler's own build step", () => {
    expect(relay.logs()).toContain("[custom build] Running: node scripts/copy-docs-assets.mjs");
  });

  it("opens on the list of every operation, each one closed", async () => {
    const operations = operationsOf(doc.paths);
    const events = operationsOf(doc.webhooks ?? {});
    expect(operations.length).toBeGreaterThanOrEqual(20);
    await expect
      .poll(() => page.locator(".opblock").count(), { timeout: 30_000 })
      .toBe(operations.length + events.length);
    expect(await page.locator(".opblock.is-open").count()).toBe(0);
    // Closed operations show no parameters or responses.
    expect(await page.locator(".opblock .responses-table").count()).toBe(0);
    for (const { method, path } of operations) {
      const block = operationBlock(page, method, path);
      expect(await block.count(), `${method} ${path}`).toBe(1);
      await block.scrollIntoViewIfNeeded();
      expect(await block.locator(".opblock-summary-path").isVisible(), `${method} ${path}`).toBe(true);
    }
    // The vendor paths of the compatible API once, templated.
    expect(await page.locator('.opblock-summary-path[data-path^="/v2/generate/"]').count()).toBe(2);
    // A page to read, not the 82,000 pixels of every operation open.
    expect(await page.evaluate(() => document.documentElement.scrollHeight)).toBeLessThan(8_000);

    if (process.env.SCREENSHOT_DIR) {
      mkdirSync(process.env.SCREENSHOT_DIR, { recursive: true });
      await page.evaluate(() => window.scrollTo(0, 0));
      // The whole page: every operation closed, the webhooks at the end.
      await page.screenshot({ path: join(process.env.SCREENSHOT_DIR, "docs.png"), fullPage: true });
    }
  });

  it("opens an operation on click: its parameters, request fields and every response", async () => {
    const path = "/v1/generations";
    const operation = doc.paths[path]?.post;
    if (operation === undefined) throw new Error("POST /v1/generations is not documented");
    const block = operationBlock(page, "post", path);
    await block.locator(".opblock-summary").click();
    await expect.poll(() => block.getAttribute("class")).toContain("is-open");
    for (const status of Object.keys(operation.responses)) {
      const row = block.locator(`.responses-table tr.response[data-code="${status}"]`);
      await expect.poll(() => row.count(), { message: `response ${status}` }).toBe(1);
      expect(await row.isVisible(), `response ${status}`).toBe(true);
    }
    const text = await block.innerText();
    for (const name of ["Idempotency-Key", "model", "webhook_url", "webhook_events", "metadata"]) {
      expect(text, name).toContain(name);
    }
    expect(text).toContain("GET /v1/models/{model}");
    // Only the one clicked.
    expect(await page.locator(".opblock.is-open").count()).toBe(1);

    const vendor = operationBlock(page, "post", "/v2/generate/video/{vendor}/generation");
    await vendor.locator(".opblock-summary").click();
    await expect.poll(() => vendor.locator(".parameters").innerText(), { timeout: 10_000 }).toContain("vendor");
    const vendorText = await vendor.innerText();
    for (const name of ["alibaba", "kling", "pixverse"]) expect(vendorText, name).toContain(name);
  });

  it("lists the webhook events in their own section, each with its signature headers", async () => {
    const section = page.locator(".webhooks");
    await section.scrollIntoViewIfNeeded();
    expect(await section.locator("h2").innerText()).toBe("Webhooks");
    expect(await section.isVisible()).toBe(true);
    const names = Object.keys(doc.webhooks ?? {});
    expect(names).toEqual(expect.arrayContaining(["generation.completed", "generation.failed", "webhook.test"]));
    for (const name of names) {
      expect(await operationBlock(page, "post", name, section).isVisible(), name).toBe(true);
    }
    const completed = operationBlock(page, "post", "generation.completed", section);
    await completed.locator(".opblock-summary").click();
    await expect
      .poll(() => completed.locator(".parameters").innerText(), { timeout: 10_000 })
      .toContain("webhook-signature");
    const text = await completed.innerText();
    for (const header of ["webhook-id", "webhook-timestamp", "webhook-signature"])
      expect(text, header).toContain(header);
  });

  it("loads nothing from another host, and fails no request and logs no error", () => {
    const origin = new URL(relay.url).origin;
    expect(requested.map((url) => new URL(url).origin).filter((host) => host !== origin)).toEqual([]);
    expect(requested).toContain(`${origin}/docs/assets/swagger-ui-bundle.js`);
    expect(requested).toContain(`${origin}/docs/assets/swagger-ui.css`);
    expect(requested).toContain(`${origin}/openapi.json`);
    expect(failed).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("serves the renderer as static assets and everything else, /docs included, from the Worker", async () => {
    const docs = await fetch(`${relay.url}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get("Content-Security-Policy")).toMatch(/default-src 'self'/);
    expect(docs.headers.get("Content-Security-Policy")).toMatch(/connect-src 'self'/);
    expect(await docs.text()).toContain('src="/docs/assets/swagger-ui-bundle.js"');

    const bundle = await fetch(`${relay.url}/docs/assets/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("Content-Type")).toMatch(/javascript/);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);

    // Not an asset: the Worker answers, in the API's own shapes.
    const missing = await fetch(`${relay.url}/docs/assets/nothing.js`);
    expect(missing.status).toBe(404);
    const unauthorized = await fetch(`${relay.url}/v1/generations`);
    expect(unauthorized.status).toBe(401);
    expect(((await unauthorized.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    const ignoreFile = await fetch(`${relay.url}/.assetsignore`);
    expect(ignoreFile.status).toBe(404);
    expect(await ignoreFile.json()).toMatchObject({ error: { code: "not_found" } });
  });
});
