import { UsageError } from "../errors.mjs";
import { log, printJson } from "../output.mjs";
import { requestJson } from "../http.mjs";
import { WAIT_OPTIONS, WAIT_USAGE, intervalMs, waitAndFinish, wantsWait } from "../wait.mjs";

export const usage = `Usage: wan-relay generate "<prompt>" [options]

Creates a generation and prints it (status "queued") as JSON.

Options:
  --resolution R          480p | 720p | 1080p (server default 720p)
  --aspect-ratio A        16:9 | 9:16 | 1:1 (server default 16:9)
  --duration S            5 | 10 seconds
  --negative-prompt T     what the video should not contain
  --seed N                integer 0..2147483647
  --no-prompt-expansion   do not let the model rewrite the prompt
  --webhook-url U         URL the relay calls back when it finishes
  --webhook-events E,...  subset of started,completed,failed,canceled
  --metadata JSON         JSON object echoed back with the generation
  --idempotency-key K     resending with the same key never creates a second generation
${WAIT_USAGE}`;

export const positionals = ["prompt"];

export const options = {
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
  const body = createBody(prompt, values);
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
  const body = { prompt };
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
