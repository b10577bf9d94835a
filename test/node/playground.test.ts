/**
 * The playground page in a real browser (Debian's Chromium driven by
 * playwright-core): create a generation with the simulator, watch the live
 * status reach "completed", and play the stored MP4 through its signed link.
 */
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_CLIENT_KEYS, TEST_RELAY_API_KEYS } from "../support/constants.ts";
import { startRelay, type RelayProcess } from "../support/relay-process.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

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

  it("creates a generation, shows it completing, and plays the video", async () => {
    const page = await browser.newPage();
    await page.goto(`${relay.url}/`);
    await page.fill("#key", TEST_CLIENT_KEYS.alice);
    await page.fill("#prompt", "A raccoon eating ice cream");
    await page.click("#go");
    await page.waitForSelector('#status[data-status="completed"]', { timeout: 30_000 });
    const video = await page.waitForFunction(
      () => {
        const element = document.querySelector("video");
        return element && !element.hidden && element.readyState >= 1
          ? { width: element.videoWidth, duration: element.duration, src: element.src }
          : null;
      },
      undefined,
      { timeout: 30_000 },
    );
    const played = (await video.jsonValue()) as { width: number; duration: number; src: string };
    expect(played.width).toBe(640);
    expect(played.duration).toBeGreaterThan(3.5);
    expect(played.src).toMatch(/\/video\?expires=\d+&signature=/);
    const log = await page.textContent("#log");
    expect(log).toContain("completed");
  });

  it("shows the API's error for a wrong key", async () => {
    const page = await browser.newPage();
    await page.goto(`${relay.url}/`);
    await page.fill("#key", "wrong-key");
    await page.click("#go");
    await expect.poll(() => page.textContent("#status"), { timeout: 10_000 }).toContain("401");
  });
});
