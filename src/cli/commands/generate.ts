import {
  createGenerationWebhookEventsValues,
  type CreateGenerationRequest,
  type WanRelay,
} from "../../client/index.ts";
import { stringOption, stringOptions, type Command, type Values } from "../command.ts";
import { UsageError } from "../errors.ts";
import { filesToDataUris, mentionsFile, parseInputs } from "../inputs.ts";
import { log, printJson } from "../output.ts";
import { WAIT_OPTIONS, WAIT_USAGE, intervalMs, waitAndFinish, wantsWait } from "../wait.ts";

/**
 * Shortcut flags for input fields that many models share, and the field each
 * one sets. The values and bounds are each model's (`wan-relay models ID`),
 * checked by the relay: nothing about them is repeated here.
 */
const SHORTCUTS = [
  { flag: "resolution", field: "resolution", metavar: "R" },
  { flag: "aspect-ratio", field: "aspect_ratio", metavar: "A" },
  { flag: "duration", field: "duration", metavar: "S", number: true },
  { flag: "negative-prompt", field: "negative_prompt", metavar: "T" },
  { flag: "seed", field: "seed", metavar: "N", number: true },
] as const;

export const generate: Command = {
  synopsis: '"<prompt>"',
  summary: "create a generation (optionally wait and download it)",
  usage: () => {
    const shortcuts = SHORTCUTS.map(
      ({ flag, field, metavar }) => `  --${flag} ${metavar}`.padEnd(26) + `the same as --input ${field}=${metavar}`,
    ).join("\n");
    return `Usage: wan-relay generate "<prompt>" [--model ID] [--input name=value ...] [options]

Creates a generation and prints it (status "queued") as JSON.

Inputs, for any model of the relay's catalogue ("wan-relay models" lists them
and marks the default, "wan-relay models ID" shows a model's inputs with their
allowed values, bounds and defaults):
  --model ID              the model (default: the relay's default model); with
                          --model the prompt may be left out (some models take none)
  --input name=value      one of the model's inputs; repeat for more. The value is
                          read as JSON when it parses (5, true, ["a","b"]), else as
                          text (16:9). A file path in a media field (image_url,
                          video_url, audio_url, …) is sent as a base64 data: URI,
                          its type from the extension. Repeating a name makes a
                          list (--input image_urls=a.png --input image_urls=b.png).

Shortcuts for common inputs:
${shortcuts}
  --no-prompt-expansion   the same as --input enable_prompt_expansion=false

Options:
  --webhook-url U         URL the relay calls back when it finishes
  --webhook-events E,...  a subset of ${createGenerationWebhookEventsValues.join(",")}
  --metadata JSON         JSON object echoed back with the generation
  --idempotency-key K     resending with the same key never creates a second generation
${WAIT_USAGE}`;
  },
  positionals: ["prompt"],
  // The prompt may be left out when a model is named: the relay says whether that model needs one.
  optionalPositional: (values) => typeof values["model"] === "string",
  options: {
    model: { type: "string" },
    input: { type: "string", multiple: true },
    ...Object.fromEntries(SHORTCUTS.map(({ flag }) => [flag, { type: "string" as const }])),
    // Literal: parseArgs' `allowNegative` is newer than Node 18.
    "no-prompt-expansion": { type: "boolean" },
    "webhook-url": { type: "string" },
    "webhook-events": { type: "string" },
    metadata: { type: "string" },
    "idempotency-key": { type: "string" },
    ...WAIT_OPTIONS,
  },
  async run({ values, positionals: [prompt], relay: connect }) {
    const every = intervalMs(values, "generate");
    const body = createBody(prompt, values);
    const relay = connect();
    const created = await relay.create(await withInputs(relay, body, values), {
      idempotencyKey: stringOption(values, "idempotency-key"),
    });
    if (!wantsWait(values)) {
      printJson(created);
      return;
    }
    log(`created ${created.id}`);
    await waitAndFinish(relay, created, values, every);
  },
};

/**
 * A number-looking value is sent as a JSON number; anything else is sent as is,
 * so that the API (the one place that knows the limits) names the problem.
 */
function numberOrRaw(value: string): string | number {
  return /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
}

function createBody(prompt: string | undefined, values: Values): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const model = stringOption(values, "model");
  if (model !== undefined) body["model"] = model;
  if (prompt !== undefined) body["prompt"] = prompt;
  for (const shortcut of SHORTCUTS) {
    const value = stringOption(values, shortcut.flag);
    if (value !== undefined) body[shortcut.field] = "number" in shortcut ? numberOrRaw(value) : value;
  }
  if (values["no-prompt-expansion"] === true) body["enable_prompt_expansion"] = false;
  const webhookUrl = stringOption(values, "webhook-url");
  if (webhookUrl !== undefined) body["webhook_url"] = webhookUrl;
  const events = stringOption(values, "webhook-events");
  if (events !== undefined) {
    body["webhook_events"] = events
      .split(",")
      .map((event) => event.trim())
      .filter((event) => event !== "");
  }
  const metadata = stringOption(values, "metadata");
  if (metadata !== undefined) {
    try {
      body["metadata"] = JSON.parse(metadata) as unknown;
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
async function withInputs(
  relay: WanRelay,
  body: Record<string, unknown>,
  values: Values,
): Promise<CreateGenerationRequest> {
  const inputs = parseInputs(stringOptions(values, "input"));
  for (const name of Object.keys(inputs)) {
    if (Object.hasOwn(body, name)) {
      const source = name === "prompt" ? "the prompt argument" : name === "model" ? "--model" : "another option";
      throw new UsageError(`${name} is given twice: by --input and by ${source}`, "generate");
    }
  }
  if (!mentionsFile(inputs)) return { ...body, ...inputs };
  const modelId = typeof body["model"] === "string" ? body["model"] : await relay.defaultModel();
  const model = await relay.model(modelId);
  const properties = (model.inputs["properties"] ?? {}) as Record<string, unknown>;
  const converted: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(inputs)) converted[name] = filesToDataUris(properties[name], value);
  return { ...body, ...converted };
}
