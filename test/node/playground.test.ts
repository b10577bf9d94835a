/**
 * The playground page in a real browser (Debian's Chromium driven by
 * playwright-core) against the real relay under `wrangler dev` with the
 * simulator: the model picker filled from `GET /v1/models`, a form rendered
 * from the chosen model's JSON Schema (every field labelled with its name),
 * only the filled fields sent, a chosen file sent as a `data:` URI, errors
 * next to their fields, live status to "completed", and the stored MP4
 * played through its signed link.
 */
import { chromium, type Browser, type Page, type Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MODEL_ID, MODELS, findModel } from "../../src/models/catalogue.ts";
import { inputsJsonSchema } from "../../src/models/validate.ts";
import { TEST_CLIENT_KEYS, TEST_RELAY_API_KEYS } from "../support/constants.ts";
import { startRelay, type RelayProcess } from "../support/relay-process.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** A 2×2 PNG, so the file picker has a real image to read. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4zwAE/xkgFAAb8gP91pbyKwAAAABJRU5ErkJggg==",
  "base64",
);

function fieldNames(id: string): string[] {
  const model = findModel(id);
  if (model === undefined) throw new Error(`${id} is not in the catalogue`);
  const schema = inputsJsonSchema(model) as { properties: Record<string, unknown> };
  return Object.keys(schema.properties);
}

interface Played {
  width: number;
  height: number;
  duration: number;
  src: string;
}

/** Waits for the live status to say completed and the player to have the video's metadata. */
async function expectPlayed(page: Page): Promise<Played> {
  // Ends early on a refusal or a failure, so a test fails with the page's own message.
  await page.waitForFunction(
    () => {
      const status = document.querySelector<HTMLElement>("#status");
      const done = ["completed", "failed", "canceled"].includes(status?.dataset["status"] ?? "");
      return done || (status?.textContent ?? "").startsWith("Error");
    },
    undefined,
    { timeout: 30_000 },
  );
  expect(await page.textContent("#status")).toMatch(/^completed/);
  const video = await page.waitForFunction(
    () => {
      const element = document.querySelector("video");
      return element && !element.hidden && element.readyState >= 1
        ? { width: element.videoWidth, height: element.videoHeight, duration: element.duration, src: element.src }
        : null;
    },
    undefined,
    { timeout: 30_000 },
  );
  const played = (await video.jsonValue()) as Played;
  expect(played.src).toMatch(/\/video\?expires=\d+&signature=/);
  expect(played.width).toBeGreaterThan(0);
  expect(played.height).toBeGreaterThan(0);
  expect(played.duration).toBeGreaterThan(0);
  expect(await page.textContent("#log")).toContain("completed");
  return played;
}

describe("the playground", () => {
  let relay: RelayProcess;
  let browser: Browser;

  beforeAll(async () => {
    relay = await startRelay({
      vars: { RELAY_API_KEYS: TEST_RELAY_API_KEYS, POLL_INTERVAL_SECONDS: "0.2", SIMULATOR_SECONDS: "1.5" },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await relay?.stop();
  });

  /** A fresh page with the key entered and the catalogue loaded (the default model picked). */
  async function openWithKey(): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${relay.url}/`);
    await page.fill("#key", TEST_CLIENT_KEYS.alice);
    await page.waitForSelector("#model:not([disabled])", { timeout: 10_000 });
    expect(await page.inputValue("#model")).toBe(DEFAULT_MODEL_ID);
    return page;
  }

  async function pickModel(page: Page, id: string): Promise<void> {
    await page.selectOption("#model", id);
    await expect.poll(() => page.textContent("#fields-model")).toBe(id);
  }

  /** Submits the form and returns the JSON body the page sent to POST /v1/generations. */
  async function submit(page: Page): Promise<Record<string, unknown>> {
    const [request] = await Promise.all([
      page.waitForRequest((r: Request) => r.method() === "POST" && new URL(r.url()).pathname === "/v1/generations"),
      page.click("#go"),
    ]);
    return request.postDataJSON() as Record<string, unknown>;
  }

  it("fills the model picker from GET /v1/models and labels each of the model's fields with its name", async () => {
    const page = await openWithKey();
    const options = await page.$$eval("#model option", (elements) =>
      elements.map((element) => (element as HTMLOptionElement).value),
    );
    expect(options.length).toBeGreaterThanOrEqual(140);
    expect([...options].sort()).toEqual(MODELS.map((model) => model.id).sort());

    for (const name of fieldNames(DEFAULT_MODEL_ID)) {
      await expect(page.getByLabel(name, { exact: true }).isVisible(), name).resolves.toBe(true);
    }
    // Controls follow the schema: enum → select, bounds → number input, boolean → checkbox, prompt → textarea.
    const resolution = page.getByLabel("resolution", { exact: true });
    expect(await resolution.evaluate((element) => element.tagName)).toBe("SELECT");
    expect(await resolution.locator("option").allTextContents()).toEqual(
      expect.arrayContaining(["480p", "720p", "1080p"]),
    );
    const seed = page.getByLabel("seed", { exact: true });
    expect(await seed.getAttribute("type")).toBe("number");
    expect(await seed.getAttribute("min")).toBe("0");
    expect(await seed.getAttribute("max")).toBe("2147483647");
    expect(await page.getByLabel("enhance_prompt", { exact: true }).getAttribute("type")).toBe("checkbox");
    const prompt = page.getByLabel("prompt", { exact: true });
    expect(await prompt.evaluate((element) => element.tagName)).toBe("TEXTAREA");
    expect(await prompt.getAttribute("maxlength")).toBe("800");
    await page.close();
  });

  it("creates a generation with only the filled fields, shows it completing, and plays the video", async () => {
    const page = await openWithKey();
    await page.getByLabel("prompt", { exact: true }).fill("A raccoon eating ice cream");
    await page.getByLabel("resolution", { exact: true }).selectOption("480p");
    expect(await submit(page)).toEqual({
      model: DEFAULT_MODEL_ID,
      prompt: "A raccoon eating ice cream",
      resolution: "480p",
    });
    const played = await expectPlayed(page);
    expect(played.width).toBe(640);
    expect(played.duration).toBeGreaterThan(3.5);
    await page.close();
  });

  it("shows each error of the API next to the field it names", async () => {
    const page = await openWithKey();
    await page.getByLabel("prompt", { exact: true }).fill("A raccoon eating ice cream");
    await page.getByLabel("seed", { exact: true }).fill("99999999999");
    const body = await submit(page);
    expect(body["seed"]).toBe(99999999999);
    await expect.poll(() => page.textContent("#error-seed"), { timeout: 10_000 }).toMatch(/^seed .*2147483647/);
    expect(await page.getAttribute("#in-seed", "aria-invalid")).toBe("true");
    expect(await page.textContent("#error-prompt")).toBe("");
    expect(await page.textContent("#status")).toMatch(/^Error 400: /);
    await page.close();
  });

  it("takes an object field as JSON and names it when the JSON is malformed, sending nothing", async () => {
    const page = await openWithKey();
    const id = "kling-video/v1/standard/text-to-video";
    expect(fieldNames(id)).toContain("advanced_camera_control");
    await pickModel(page, id);
    const sent: string[] = [];
    page.on("request", (request) => {
      if (request.method() === "POST") sent.push(request.url());
    });
    await page.getByLabel("prompt", { exact: true }).fill("A slow pan over a harbour");
    await page.getByLabel("advanced_camera_control", { exact: true }).fill('{"movement_type": "pan",');
    await page.click("#go");
    await expect
      .poll(() => page.textContent("#error-advanced_camera_control"), { timeout: 10_000 })
      .toMatch(/^advanced_camera_control is not valid JSON/);
    expect(await page.textContent("#status")).toBe("Fix the fields marked above");
    expect(sent).toEqual([]);
    await page.close();
  });

  it("shows the API's error for a wrong key", async () => {
    const page = await browser.newPage();
    await page.goto(`${relay.url}/`);
    await page.fill("#key", "wrong-key");
    await page.click("#go");
    await expect.poll(() => page.textContent("#status"), { timeout: 10_000 }).toContain("401");
    expect(await page.isDisabled("#model")).toBe(true);
    await page.close();
  });

  // Needs creation for every model of the catalogue (issue 7, helper M's branch): with the
  // old single-model create schema, the relay refuses the non-Wan model and this test fails.
  it("renders a non-Wan model's own fields, creates with it and plays the video", async () => {
    const page = await openWithKey();
    const id = "google/veo-3.1-t2v";
    await pickModel(page, id);
    const names = fieldNames(id);
    expect(names).toEqual(expect.arrayContaining(["generate_audio", "auto_fix", "provider"]));
    for (const name of names) {
      await expect(page.getByLabel(name, { exact: true }).isVisible(), name).resolves.toBe(true);
    }
    // Wan's own flag is gone with Wan.
    expect(await page.getByLabel("enable_prompt_expansion", { exact: true }).count()).toBe(0);
    await page.getByLabel("prompt", { exact: true }).fill("A heron landing on a misty lake");
    await page.getByLabel("duration", { exact: true }).selectOption("4");
    // Default true: one click sends false.
    await page.getByLabel("generate_audio", { exact: true }).click();
    expect(await submit(page)).toEqual({
      model: id,
      prompt: "A heron landing on a misty lake",
      duration: 4,
      generate_audio: false,
    });
    await expectPlayed(page);
    expect(await page.textContent("#status")).toContain(id);
    await page.close();
  });

  // Needs data: URIs accepted for every model (helper M's branch), like the test above.
  it("sends a chosen image file as a data: URI for an image-to-video model, and plays the result", async () => {
    const page = await openWithKey();
    const id = "google/veo-3.1-i2v";
    await pickModel(page, id);
    for (const name of fieldNames(id)) {
      await expect(page.getByLabel(name, { exact: true }).isVisible(), name).resolves.toBe(true);
    }
    await page.getByLabel("prompt", { exact: true }).fill("The heron takes off");
    await page.setInputFiles("#file-image_url", { name: "frame.png", mimeType: "image/png", buffer: PNG });
    expect(await submit(page)).toEqual({
      model: id,
      prompt: "The heron takes off",
      image_url: `data:image/png;base64,${PNG.toString("base64")}`,
    });
    await expectPlayed(page);
    await page.close();
  });
});
