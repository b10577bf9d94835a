import { UsageError } from "../errors.mjs";
import { filesToDataUris, mentionsFile, parseInputs } from "../inputs.mjs";
import { log, printJson } from "../output.mjs";
import { modelPath, requestJson } from "../http.mjs";
import { WAIT_OPTIONS, WAIT_USAGE, intervalMs, waitAndFinish, wantsWait } from "../wait.mjs";

export const usage = `Usage: wan-relay generate "<prompt>" [--model ID] [--input name=value ...] [options]

Creates a generation and prints it (status "queued") as JSON.

Inputs, for any model of the relay's catalogue ("wan-relay models" lists them,
"wan-relay models ID" shows a model's inputs):
  --model ID              the model (default alibaba/wan2.5-t2v-preview); with
                          --model the prompt may be left out (some models take none)
  --input name=value      one of the model's inputs; repeat for more. The value is
                          read as JSON when it parses (5, true, ["a","b"]), else as
                          text (16:9). A file path in a media field (image_url,
                          video_url, audio_url, …) is sent as a base64 data: URI,
                          its type from the extension. Repeating a name makes a
                          list (--input image_urls=a.png --input image_urls=b.png).

Shortcuts for the default model's inputs (Wan 2.5; the same as --input):
  --resolution R          480p | 720p | 1080p (server default 720p)
  --aspect-ratio A        16:9 | 9:16 | 1:1 (server default 16:9)
  --duration S            5 | 10 seconds
  --negative-prompt T     what the video should not contain
  --seed N                integer 0..2147483647
  --no-prompt-expansion   do not let the model rewrite the prompt

Options:
  --webhook-url U         URL the relay calls back when it finishes
  --webhook-events E,...  subset of started,completed,failed,canceled
  --metadata JSON         JSON object echoed back with the generation
  --idempotency-key K     resending with the same key never creates a second generation
${WAIT_USAGE}`;

/** The relay's model when a body names none (CONTRACT.md §9): whose inputs a file is checked against. */
const DEFAULT_MODEL = "alibaba/wan2.5-t2v-preview";

export const positionals = ["prompt"];
/** The prompt may be left out when a model is named: the relay says whether that model needs one. */
export const optionalPositional = (values) => values.model !== undefined;

export const options = {
  model: { type: "string" },
  input: { type: "string", multiple: true },
  resolution: { type: "string" },
  "aspect-ratio": { type: "string" },
  duration: { type: "string" },
  "negative-prompt": { type: "string" },
  seed: { type: "string" },
  // Literal: parseArgs' `allowNegative` needs Node 22, and the CLI runs on 20.
  "no-prompt-expansion": { type: "boolean" },
  "webhook-url": { type: "string" },
  "webhook-events": { type: "string" },
  metadata: { type: "string" },
  "idempotency-key": { type: "string" },
  ...WAIT_OPTIONS,
};

export async function run(conn, values, [prompt]) {
  const body = await withInputs(conn, createBody(prompt, values), values);
  const every = intervalMs(values, "generate");
  const headers = values["idempotency-key"] !== undefined ? { "Idempotency-Key": values["idempotency-key"] } : {};
  const created = await requestJson(conn, "POST", "/v1/generations", { body, headers });
  if (!wantsWait(values)) return printJson(created);
  log(`created ${created.id}`);
  await waitAndFinish(conn, created, values, every);
}

/**
 * A number-looking value is sent as a JSON number; anything else is sent as is,
 * so that the API (the one place that knows the limits) names the problem.
 */
function numberOrRaw(value) {
  return /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
}

function createBody(prompt, values) {
  const body = {};
  if (values.model !== undefined) body.model = values.model;
  if (prompt !== undefined) body.prompt = prompt;
  if (values.resolution !== undefined) body.resolution = values.resolution;
  if (values["aspect-ratio"] !== undefined) body.aspect_ratio = values["aspect-ratio"];
  if (values.duration !== undefined) body.duration = numberOrRaw(values.duration);
  if (values["negative-prompt"] !== undefined) body.negative_prompt = values["negative-prompt"];
  if (values.seed !== undefined) body.seed = numberOrRaw(values.seed);
  if (values["no-prompt-expansion"] === true) body.enable_prompt_expansion = false;
  if (values["webhook-url"] !== undefined) body.webhook_url = values["webhook-url"];
  if (values["webhook-events"] !== undefined) {
    body.webhook_events = values["webhook-events"]
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  }
  if (values.metadata !== undefined) {
    try {
      body.metadata = JSON.parse(values.metadata);
    } catch (error) {
      throw new UsageError(
        `--metadata is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
        "generate",
      );
    }
  }
  return body;
}

/**
 * Adds the `--input` fields to the body. A field may not also come from a
 * flag or the prompt. Files are read only for media fields, so the model's
 * inputs are fetched (`GET /v1/models/{id}`) when some value names a file.
 */
async function withInputs(conn, body, values) {
  const inputs = parseInputs(values.input ?? []);
  for (const name of Object.keys(inputs)) {
    if (Object.hasOwn(body, name)) {
      const source = name === "prompt" ? "the prompt argument" : name === "model" ? "--model" : "another option";
      throw new UsageError(`${name} is given twice: by --input and by ${source}`, "generate");
    }
  }
  if (!mentionsFile(inputs)) return { ...body, ...inputs };
  const model = await requestJson(conn, "GET", modelPath(body.model ?? DEFAULT_MODEL));
  const properties = model?.inputs?.properties ?? {};
  const converted = {};
  for (const [name, value] of Object.entries(inputs)) converted[name] = filesToDataUris(properties[name], value);
  return { ...body, ...converted };
}
