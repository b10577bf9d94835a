/**
 * The API reference at /docs in a real browser (Debian's Chromium driven by
 * playwright-core) against `wrangler dev`: the renderer (Swagger UI, copied
 * from swagger-ui-dist into the Workers static assets) shows every operation
 * of /openapi.json with its parameters, request fields and responses, and the
 * page requests nothing from any host but the relay's.
 *
 * `SCREENSHOT_DIR=docs/screenshots npx vitest run test/node/docs-page.test.ts`
 * also saves docs.png there (the committed one in docs/screenshots/).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { launchChromium } from "../support/chromium.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_RELAY_API_KEYS } from "../support/constants.ts";
import { REPO_ROOT, startRelay, type RelayProcess } from "../support/relay-process.ts";

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"] as const;

interface Parameter {
  name: string;
  in: string;
}
interface Schema {
  $ref?: string;
  properties?: Record<string, unknown>;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
  responses: Record<string, unknown>;
}
interface Document {
  paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
  components: { schemas: Record<string, Schema> };
}

/** The top-level fields of a JSON request body: its properties, through $ref and allOf/oneOf/anyOf. */
function fieldsOf(doc: Document, schema: Schema | undefined, depth = 0): string[] {
  if (schema === undefined || depth > 4) return [];
  if (schema.$ref !== undefined) {
    return fieldsOf(doc, doc.components.schemas[schema.$ref.replace("#/components/schemas/", "")], depth + 1);
  }
  const branches = [...(schema.allOf ?? []), ...(schema.oneOf ?? []), ...(schema.anyOf ?? [])];
  const fields = [
    ...Object.keys(schema.properties ?? {}),
    ...branches.flatMap((branch) => fieldsOf(doc, branch, depth + 1)),
  ];
  return [...new Set(fields)];
}

const requestFields = (doc: Document, operation: Operation): string[] =>
  fieldsOf(doc, operation.requestBody?.content["application/json"]?.schema);

/** Swagger UI's block for one operation (the summary carries the method and the path). */
function operationBlock(page: Page, method: string, path: string): Locator {
  return page.locator(`.opblock.opblock-${method}`).filter({
    has: page.locator(`.opblock-summary-path[data-path="${path}"]`),
  });
}

describe("the API reference at /docs", () => {
  let relay: RelayProcess;
  let browser: Browser;
  let doc: Document;

  beforeAll(async () => {
    // What `npm run build`, `npm start` and `pretest` do: the renderer from the installed package.
    execFileSync(process.execPath, [join(REPO_ROOT, "scripts", "copy-docs-assets.mjs")], { stdio: "inherit" });
    relay = await startRelay({ vars: { RELAY_API_KEYS: TEST_RELAY_API_KEYS } });
    doc = (await (await fetch(`${relay.url}/openapi.json`)).json()) as Document;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await relay?.stop();
  });

  it("shows every operation with its parameters, request fields and responses, loading only from the relay", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1500 } });
    const requested: string[] = [];
    const failed: string[] = [];
    const errors: string[] = [];
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
    const operations = METHODS.flatMap((method) =>
      Object.entries(doc.paths).flatMap(([path, item]) => {
        const operation = item[method];
        return operation === undefined ? [] : [{ method, path, operation }];
      }),
    );
    expect(operations.length).toBeGreaterThanOrEqual(15);
    const createOperation = doc.paths["/v1/generations"]?.post;
    // The relay's own fields are properties; a model's fields (prompt, …) are documented per model
    // (GET /v1/models/{model}) and shown in the body's example.
    expect(createOperation && requestFields(doc, createOperation)).toEqual(
      expect.arrayContaining(["model", "webhook_url", "webhook_events", "metadata"]),
    );
    await expect.poll(() => page.locator(".opblock").count(), { timeout: 20_000 }).toBe(operations.length);

    for (const { method, path, operation } of operations) {
      const block = operationBlock(page, method, path);
      await expect.poll(() => block.count(), { message: `${method} ${path}` }).toBe(1);
      await block.scrollIntoViewIfNeeded();
      expect(await block.locator(".opblock-summary-path").isVisible(), `${method} ${path}`).toBe(true);
      const text = await block.innerText();
      for (const parameter of operation.parameters ?? []) {
        expect(text, `${method} ${path}: parameter ${parameter.name}`).toContain(parameter.name);
      }
      for (const field of requestFields(doc, operation)) {
        expect(text, `${method} ${path}: request field ${field}`).toContain(field);
      }
      for (const status of Object.keys(operation.responses)) {
        const row = block.locator(`.responses-table tr.response[data-code="${status}"]`);
        expect(await row.count(), `${method} ${path}: response ${status}`).toBe(1);
        expect(await row.isVisible(), `${method} ${path}: response ${status}`).toBe(true);
      }
    }

    // The fields the brief names, seen where a reader looks for them.
    const create = operationBlock(page, "post", "/v1/generations");
    for (const name of ["Idempotency-Key", "webhook_url"]) {
      expect(await create.getByText(name, { exact: true }).first().isVisible(), name).toBe(true);
    }
    const createText = await create.innerText();
    expect(createText).toContain("GET /v1/models/{model}");

    if (process.env.SCREENSHOT_DIR) {
      mkdirSync(process.env.SCREENSHOT_DIR, { recursive: true });
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(process.env.SCREENSHOT_DIR, "docs.png") });
    }

    const origin = new URL(relay.url).origin;
    const hosts = requested.map((url) => new URL(url).origin);
    expect(hosts.filter((host) => host !== origin)).toEqual([]);
    expect(requested).toContain(`${origin}/docs/assets/swagger-ui-bundle.js`);
    expect(requested).toContain(`${origin}/docs/assets/swagger-ui.css`);
    expect(requested).toContain(`${origin}/openapi.json`);
    expect(failed).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
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
