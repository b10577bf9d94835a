/**
 * Drop-in, end to end (docs/compatibility.md): clients written in the style of
 * the AI/ML API's published examples run against the relay under `wrangler
 * dev`, with only the base URL and the key changed, and finish with the
 * relay's video. The relay talks to the local imitation of the AI/ML API,
 * which receives each client's body exactly as sent.
 *
 * | client                                               | what it shows                                            |
 * | ---------------------------------------------------- | -------------------------------------------------------- |
 * | test/support/seed/seed_client.py                     | the seed's own Wan 2.5 client, on Alibaba's vendor path  |
 * | test/support/published-clients/kling_image_to_video.py | Kling's vendor path, `"duration": "5"`                 |
 * | test/support/published-clients/minimax_hailuo.py     | MiniMax's vendor path, the id read from `generation_id`  |
 * | test/support/published-clients/seedance_image_to_video.cjs | Node's https-style client, `"duration": "5"`      |
 *
 * The Python clients use `requests`; where it is not installed they get the
 * small urllib stand-in of test/support/seed/requests.py.
 */
import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Generation } from "../../src/api/schemas.ts";
import { TEST_CLIENT_KEYS } from "../support/constants.ts";
import { REPO_ROOT, startRelay, testRelayVars, type RelayProcess } from "../support/relay-process.ts";

const SAMPLE = readFileSync(`${REPO_ROOT}/public/simulator/sample.mp4`);
const CLIENTS = `${REPO_ROOT}/test/support/published-clients`;
const run = promisify(execFile);

/** PYTHONPATH for the stand-in of `requests`, only when the real one is missing. */
function pythonPath(): string | undefined {
  try {
    execFileSync("python3", ["-c", "import requests"], { stdio: "ignore" });
    return process.env["PYTHONPATH"];
  } catch {
    return `${REPO_ROOT}/test/support/seed`;
  }
}

describe("published-style clients against wrangler dev", () => {
  let relay: RelayProcess;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    relay = await startRelay({ vars: testRelayVars(inject("upstreamUrl")) });
    const path = pythonPath();
    env = {
      ...process.env,
      WAN_RELAY_URL: relay.url,
      WAN_RELAY_KEY: TEST_CLIENT_KEYS.alice,
      POLL_SECONDS: "0.3",
      ...(path === undefined ? {} : { PYTHONPATH: path }),
    };
  });
  afterAll(async () => relay?.stop());

  /** The generation a client created, from the id it printed, and the body the upstream received for it. */
  async function upstreamBodyOf(id: string): Promise<unknown> {
    const generation = (await (
      await fetch(`${relay.url}/v1/generations/${id}`, {
        headers: { Authorization: `Bearer ${TEST_CLIENT_KEYS.alice}` },
      })
    ).json()) as Generation;
    const task = generation.upstream.id ?? "";
    const stats = (await (await fetch(`${inject("upstreamUrl")}/__stats?task=${encodeURIComponent(task)}`)).json()) as {
      bodiesByTask: Record<string, unknown>;
    };
    return stats.bodiesByTask[task];
  }

  async function expectRelayVideo(url: string, id: string): Promise<void> {
    expect(url.startsWith(`${relay.url}/v1/generations/${id}/video?expires=`)).toBe(true);
    const video = await fetch(url);
    expect(video.status).toBe(200);
    expect(Buffer.from(await video.arrayBuffer()).equals(SAMPLE)).toBe(true);
  }

  it("the seed's own client runs unchanged but for base URL and key", async () => {
    const { stdout } = await run("python3", [`${REPO_ROOT}/test/support/seed/seed_client.py`], {
      env,
      timeout: 90_000,
    });
    const id = /Generation ID: +(gen_\w+)/.exec(stdout)?.[1] ?? "";
    expect(stdout).toContain("Status: completed");
    await expectRelayVideo(/'url': '([^']+)'/.exec(stdout)?.[1] ?? "", id);
  });

  it("a Kling client sending duration as a string finishes with the relay's video; the upstream gets the string", async () => {
    const { stdout } = await run("python3", [`${CLIENTS}/kling_image_to_video.py`], { env, timeout: 90_000 });
    const id = /Generation ID: +(gen_\w+)/.exec(stdout)?.[1] ?? "";
    expect(stdout).toContain("Status: completed");
    await expectRelayVideo(/'url': '([^']+)'/.exec(stdout)?.[1] ?? "", id);
    expect(await upstreamBodyOf(id)).toEqual({
      model: "kling-video/v2.1/standard/image-to-video",
      prompt: "A lighthouse keeper waves from the balcony as the lamp turns on.",
      image_url: "https://media.example.com/published-clients/lighthouse.jpg",
      duration: "5",
    });
  });

  it("a MiniMax client reading generation_id from the create answer finishes with the relay's video", async () => {
    const { stdout } = await run("python3", [`${CLIENTS}/minimax_hailuo.py`], { env, timeout: 90_000 });
    const id = /Generation ID: +(gen_\w+)/.exec(stdout)?.[1] ?? "";
    expect(id).not.toBe("");
    expect(stdout).toContain("Status: completed");
    await expectRelayVideo(/'url': '([^']+)'/.exec(stdout)?.[1] ?? "", id);
    expect(await upstreamBodyOf(id)).toMatchObject({
      model: "minimax/hailuo-02",
      first_frame_image: expect.any(String),
    });
  });

  it("a Node Seedance client sending duration as a string finishes with the relay's video", async () => {
    const { stdout } = await run(process.execPath, [`${CLIENTS}/seedance_image_to_video.cjs`], {
      env,
      timeout: 90_000,
    });
    const id = /Gen_ID: (gen_\w+)/.exec(stdout)?.[1] ?? "";
    expect(stdout).toContain("Status: completed");
    const answer = JSON.parse(stdout.slice(stdout.indexOf("{"))) as { id: string; video: { url: string } };
    expect(answer.id).toBe(id);
    await expectRelayVideo(answer.video.url, id);
    expect(await upstreamBodyOf(id)).toMatchObject({ model: "bytedance/seedance-1-0-lite-i2v", duration: "5" });
  });
});
