import { modelPath, requestJson } from "../http.mjs";
import { printJson } from "../output.mjs";

export const usage = `Usage: wan-relay models [MODEL] [--json]

Without MODEL: lists every model of the relay's catalogue, one per line: its
id and its kind (text-to-video, image-to-video, …).
With MODEL: shows that model's inputs, one per line: name, type, allowed
values or bounds, default, and whether it is required or a media field (which
takes a URL, or a local file with "wan-relay generate --input name=FILE").

Options:
  --json          print the API's JSON instead (GET /v1/models or /v1/models/MODEL)`;

export const positionals = ["MODEL"];
export const optionalPositional = () => true;
export const options = { json: { type: "boolean" } };

export async function run(conn, values, [id]) {
  if (id === undefined) {
    const list = await requestJson(conn, "GET", "/v1/models");
    if (values.json === true) return printJson(list);
    const width = Math.max(0, ...list.data.map((model) => model.id.length));
    for (const model of list.data) process.stdout.write(`${model.id.padEnd(width)}  ${model.kind}\n`);
    return;
  }
  const model = await requestJson(conn, "GET", modelPath(id));
  if (values.json === true) return printJson(model);
  process.stdout.write(describeModel(model));
}

/** A model's inputs as text: one line per field, in the schema's order. */
export function describeModel(model) {
  const properties = model.inputs?.properties ?? {};
  const required = new Set(model.inputs?.required ?? []);
  const names = Object.keys(properties);
  const width = Math.max(0, ...names.map((name) => name.length));
  const lines = [`${model.id} (${model.kind})`];
  for (const name of names) {
    const facts = [describeSchema(properties[name])];
    if (required.has(name)) facts.push("required");
    lines.push(`  ${name.padEnd(width)}  ${facts.join("; ")}`);
  }
  return `${lines.join("\n")}\n`;
}

function describeSchema(schema) {
  if (schema === null || typeof schema !== "object") return "any";
  const options = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(options)) {
    // A number's decimal-string form (`x-numeric-string`) is said in one word rather than shown as a second type.
    const rest = options.filter((option) => option?.type !== "null" && option?.["x-numeric-string"] !== true);
    const numeric = options.some((option) => option?.["x-numeric-string"] === true) ? " (or as a string)" : "";
    const text = `${rest.map(describeSchema).join(" | ")}${numeric}`;
    const annotations = [];
    if (schema["x-same-as"] !== undefined) annotations.push(`same flag as ${schema["x-same-as"]}`);
    if (schema.default !== undefined) annotations.push(`default ${JSON.stringify(schema.default)}`);
    if (schema.deprecated === true) annotations.push("deprecated");
    const described = [text, ...annotations].join(", ");
    return options.some((option) => option?.type === "null") ? `${described} | null` : described;
  }
  const parts = [];
  if (Array.isArray(schema["x-media"])) {
    parts.push(`${schema["x-media"].join("/")} (URL or file)`);
  } else if (Array.isArray(schema.enum)) {
    parts.push(`one of ${schema.enum.map((value) => JSON.stringify(value)).join(", ")}`);
  } else if (schema.type === "array") {
    parts.push(`list of ${describeSchema(schema.items)}`);
    if (schema.minItems !== undefined || schema.maxItems !== undefined) {
      parts.push(`${schema.minItems ?? 0} to ${schema.maxItems ?? "any"} items`);
    }
  } else if (schema.type === "object") {
    parts.push(`object {${Object.keys(schema.properties ?? {}).join(", ")}} (JSON)`);
  } else {
    parts.push(String(schema.type ?? "any"));
    if (schema.minimum !== undefined || schema.maximum !== undefined) {
      parts.push(`${schema.minimum ?? "-∞"} to ${schema.maximum ?? "∞"}`);
    }
    if (schema.minLength !== undefined || schema.maxLength !== undefined) {
      parts.push(`${schema.minLength ?? 0} to ${schema.maxLength ?? "any"} characters`);
    }
  }
  if (schema["x-same-as"] !== undefined) parts.push(`same flag as ${schema["x-same-as"]}`);
  if (schema.default !== undefined) parts.push(`default ${JSON.stringify(schema.default)}`);
  if (schema.deprecated === true) parts.push("deprecated");
  return parts.join(", ");
}
