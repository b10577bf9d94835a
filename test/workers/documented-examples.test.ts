/**
 * The drop-in promise, checked against the AI/ML API's own documentation
 * (docs/compatibility.md): every example request its per-model pages publish
 * (test/support/documented-examples.ts, written by `npm run sync-models` from
 * the pages' Python and JavaScript code) is posted, as data, to the path the
 * example names, as the example's script would send it. The relay takes it
 * (201, the id under both names), the upstream receives exactly that body
 * (numbers sent as strings stay strings), and the path the example polls
 * answers with every key the page's own answers show, up to the finished
 * video. The few examples the relay refuses on purpose are refused naming
 * the field, as docs/compatibility.md lists them.
 */
import { describe, expect, it } from "vitest";
import type { DocumentedExample } from "../../scripts/documented-examples-types.ts";
import { findModel } from "../../src/models/catalogue.ts";
import { COMPAT_PATHS } from "../../src/routes/compat.ts";
import { DOCUMENTED_EXAMPLES } from "../support/documented-examples.ts";
import {
  call,
  isStatus,
  ORIGIN,
  postJson,
  stateOf,
  stepUntil,
  uniquePrompt,
  upstreamStats,
  waitForSubmission,
} from "./helpers.ts";

const { examples, polls } = DOCUMENTED_EXAMPLES;
const accepted = examples.filter((example) => example.refused === null);
const refused = examples.filter((example) => example.refused !== null);
const RELAY_PATHS = new Set(COMPAT_PATHS.map((path) => `/v2${path}`));
/** The words the compatible API uses; every example's poll loop treats the first two as "still running". */
const COMPAT_STATUSES = ["queued", "generating", "completed", "error"];
/** What every answer carries, whatever the page shows. */
const ALWAYS = ["id", "generation_id", "status", "video", "error", "model", "meta"];

const label = (example: DocumentedExample): string => `${example.page} ${example.block} (${example.model})`;

interface CompatAnswer {
  id: string;
  generation_id: string;
  status: string;
  video: { url: string } | null;
  [key: string]: unknown;
}

async function createAs(example: DocumentedExample): Promise<CompatAnswer> {
  const response = await postJson(example.createPath, example.body);
  expect(response.status, await response.clone().text()).toBe(201);
  return response.json<CompatAnswer>();
}

async function pollOn(path: string, id: string): Promise<CompatAnswer> {
  const response = await call(`${path}?generation_id=${encodeURIComponent(id)}`);
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json<CompatAnswer>();
}

describe("the documented examples", () => {
  it("are every example request of the documentation, most of them taken unchanged", () => {
    // The snapshot's pages publish 276 example requests; a sync that finds far fewer has stopped reading some.
    expect(examples.length).toBeGreaterThanOrEqual(270);
    expect(new Set(examples.map((example) => example.page)).size).toBeGreaterThanOrEqual(120);
    expect(accepted.length).toBeGreaterThanOrEqual(examples.length - 10);
    for (const example of examples) {
      expect(RELAY_PATHS, label(example)).toContain(example.createPath);
      if (example.pollPath !== null) expect(RELAY_PATHS, label(example)).toContain(example.pollPath);
      expect(findModel(example.model), label(example)).toBeDefined();
      expect(example.body["model"]).toBe(example.model);
    }
  });

  it("include both languages and clients that read the id from generation_id", () => {
    expect(examples.filter((example) => example.block.startsWith("python")).length).toBeGreaterThan(100);
    expect(examples.filter((example) => example.block.startsWith("javascript")).length).toBeGreaterThan(100);
    expect(examples.some((example) => example.idKey === "generation_id")).toBe(true);
    expect(
      examples.some((example) =>
        Object.values(example.body).some((value) => /^\d+$/.test(String(value)) && typeof value === "string"),
      ),
    ).toBe(true);
  });
});

describe("each example the relay takes unchanged", () => {
  // One after the other: run concurrently they took longer (the alarms of one object run one at a time anyway).
  it.each(accepted.map((example) => [label(example), example] as const))(
    "%s: taken on its own path, sent upstream as is, polled on its own path to the relay's video",
    async (_label, example) => {
      const created = await createAs(example);
      expect(created.generation_id).toBe(created.id);
      expect(created.status).toBe("queued");
      for (const key of example.answers.create) expect(Object.keys(created), key).toContain(key);
      // The script reads the task id under the key its page's code uses.
      const id = created[example.idKey];
      expect(typeof id).toBe("string");

      await waitForSubmission(created.id);
      const task = (await stateOf(created.id))?.upstream.id ?? "";
      expect(task, "the upstream accepted the task").not.toBe("");
      expect((await upstreamStats({ task })).bodiesByTask[task]).toEqual(example.body);

      const pollPath = example.pollPath ?? example.createPath;
      const running = await pollOn(pollPath, String(id));
      expect(COMPAT_STATUSES).toContain(running.status);

      await stepUntil(created.id, isStatus("completed", "failed"));
      const done = await pollOn(pollPath, String(id));
      for (const key of [...ALWAYS, ...example.answers.poll]) expect(Object.keys(done), key).toContain(key);
      expect(done.status).toBe("completed");
      expect(done.video?.url.startsWith(`${ORIGIN}/v1/generations/${created.id}/video?expires=`)).toBe(true);
    },
  );
});

describe.each(refused.map((example) => [label(example), example] as const))("%s", (_label, example) => {
  const reason = example.refused;
  it(`is refused on purpose, naming ${reason?.field ?? "?"} (docs/compatibility.md)`, async () => {
    const response = await postJson(example.createPath, example.body);
    const body = await response.json<{ message: string; statusCode: number }>();
    expect(response.status, JSON.stringify(body)).toBe(400);
    expect(body.statusCode).toBe(400);
    expect(body.message).toContain(reason?.field ?? "?");
  });
});

describe("scripts that only poll", () => {
  it.each(polls.map((poll) => [`${poll.page} ${poll.block}`, poll.pollPath] as const))(
    "%s: its path answers for a generation made on another path",
    async (_name, pollPath) => {
      const response = await postJson("/v2/video/generations", { prompt: uniquePrompt() });
      expect(response.status).toBe(201);
      const { id } = await response.json<CompatAnswer>();
      const answer = await pollOn(pollPath, id);
      expect(answer.id).toBe(id);
      for (const key of ALWAYS) expect(Object.keys(answer)).toContain(key);
    },
  );
});

describe("every path pair an example uses", () => {
  const pairs = [
    ...new Set(accepted.map((example) => `${example.createPath} ${example.pollPath ?? example.createPath}`)),
  ];
  it.each(pairs.map((pair) => pair.split(" ") as [string, string]))(
    "POST %s then GET %s works for a model of another vendor too",
    async (createPath, pollPath) => {
      // An example whose own path differs, so the pair is shown to take any model.
      const other = accepted.find((example) => example.createPath !== createPath) ?? accepted[0];
      if (other === undefined) throw new Error("no accepted example");
      const response = await postJson(createPath, other.body);
      expect(response.status, await response.clone().text()).toBe(201);
      const { id } = await response.json<CompatAnswer>();
      const answer = await pollOn(pollPath, id);
      expect(answer.model).toBe(other.model);
    },
  );
});

describe("GET /v1/models/{id} for models the examples taught", () => {
  it.each([
    ["kling-video/v1/standard/image-to-video", "ratio"],
    ["minimax/hailuo-02", "first_frame_image"],
    ["alibaba/wan-2-6-image-to-video-flash", "tail_image_url"],
    ["klingai/video-v3-pro-image-to-video", "last_image_url"],
  ])("%s lists %s, a field only an example sends, marked as such", async (id, field) => {
    const response = await call(`/v1/models/${id}`);
    expect(response.status).toBe(200);
    const { inputs } = await response.json<{ inputs: { properties: Record<string, Record<string, unknown>> } }>();
    expect(inputs.properties[field]).toMatchObject({ "x-by-example": ["field"] });
  });

  it("marks a media field an example taught with its media type", async () => {
    const { inputs } = await (
      await call("/v1/models/minimax/hailuo-02")
    ).json<{
      inputs: { properties: Record<string, Record<string, unknown>> };
    }>();
    expect(inputs.properties["first_frame_image"]).toMatchObject({ format: "uri", "x-media": ["image"] });
  });

  it("serves the ids only a page names, with the fields of the schema it links", async () => {
    for (const id of ["pixverse/v5-5-text-to-video", "klingai/video-v2-6-pro-motion-control", "veed/fabric-1.0-fast"]) {
      const response = await call(`/v1/models/${id}`);
      expect(response.status, id).toBe(200);
    }
    const pixverse = await (
      await call("/v1/models/pixverse/v5-5-text-to-video")
    ).json<{
      inputs: { required?: string[]; properties: Record<string, unknown> };
    }>();
    expect(pixverse.inputs.required).toEqual(["prompt"]);
    expect(Object.keys(pixverse.inputs.properties)).toEqual(
      expect.arrayContaining(["prompt", "aspect_ratio", "resolution", "duration"]),
    );
  });
});
