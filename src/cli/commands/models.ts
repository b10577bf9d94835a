import type { Model } from "../../client/index.ts";
import type { Command } from "../command.ts";
import type { Schema } from "../inputs.ts";
import { printJson } from "../output.ts";

export const models: Command = {
  synopsis: "[MODEL]",
  summary: "list the models, or show one model's inputs",
  usage: () => `Usage: wan-relay models [MODEL] [--json]

Without MODEL: lists every model of the relay's catalogue, one per line: its
id and its kind (text-to-video, image-to-video, …); the model a generation
gets without --model is marked "default".
With MODEL: shows that model's inputs, one per line: name, type, allowed
values or bounds, default, and whether it is required or a media field (which
takes a URL, or a local file with "wan-relay generate --input name=FILE").

Options:
  --json          print the API's JSON instead (GET /v1/models or /v1/models/MODEL)`,
  positionals: ["MODEL"],
  optionalPositional: () => true,
  options: { json: { type: "boolean" } },
  async run({ values, positionals: [id], relay: connect }) {
    const relay = connect();
    if (id === undefined) {
      const [list, defaultModel] = await Promise.all([relay.models(), relay.defaultModel()]);
      if (values["json"] === true) {
        printJson(list);
        return;
      }
      const width = Math.max(0, ...list.data.map((model) => model.id.length));
      const kindWidth = Math.max(0, ...list.data.map((model) => model.kind.length));
      for (const model of list.data) {
        const line = `${model.id.padEnd(width)}  ${model.kind.padEnd(kindWidth)}  ${model.id === defaultModel ? "default" : ""}`;
        process.stdout.write(`${line.trimEnd()}\n`);
      }
      return;
    }
    const model = await relay.model(id);
    if (values["json"] === true) {
      printJson(model);
      return;
    }
    process.stdout.write(describeModel(model));
  },
};

/** A model's inputs as text: one line per field, in the schema's order. */
export function describeModel(model: Model): string {
  const inputs = model.inputs as { properties?: Record<string, unknown>; required?: string[] };
  const properties = inputs.properties ?? {};
  const required = new Set(inputs.required ?? []);
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

/** The JSON Schema keywords shown here, beyond those the file inputs read. */
interface DescribedSchema extends Schema {
  enum?: unknown[];
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  default?: unknown;
  deprecated?: boolean;
  "x-same-as"?: string;
  "x-numeric-string"?: boolean;
}

function describeSchema(value: unknown): string {
  if (value === null || typeof value !== "object") return "any";
  const schema = value as DescribedSchema;
  const options: DescribedSchema[] | undefined = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(options)) {
    // A number's decimal-string form (`x-numeric-string`) is said in words rather than shown as a second type.
    const rest = options.filter((option) => option.type !== "null" && option["x-numeric-string"] !== true);
    const numeric = options.some((option) => option["x-numeric-string"] === true) ? " (or as a string)" : "";
    const annotations: string[] = [];
    if (schema["x-same-as"] !== undefined) annotations.push(`same flag as ${schema["x-same-as"]}`);
    if (schema.default !== undefined) annotations.push(`default ${JSON.stringify(schema.default)}`);
    if (schema.deprecated === true) annotations.push("deprecated");
    const described = [`${rest.map(describeSchema).join(" | ")}${numeric}`, ...annotations].join(", ");
    return options.some((option) => option.type === "null") ? `${described} | null` : described;
  }
  const parts: string[] = [];
  if (Array.isArray(schema["x-media"])) {
    parts.push(`${schema["x-media"].join("/")} (URL or file)`);
  } else if (Array.isArray(schema.enum)) {
    parts.push(`one of ${schema.enum.map((item) => JSON.stringify(item)).join(", ")}`);
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
