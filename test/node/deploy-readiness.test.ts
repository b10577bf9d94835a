/**
 * Deploy readiness: what the "Deploy to Cloudflare" button and a reader of
 * the README need is there and agrees with the configuration itself.
 *
 * - wrangler.jsonc is read by wrangler's own reader (comments, trailing commas:
 *   exactly what `wrangler deploy` sees); the secrets are the string members
 *   of the generated `Env` (worker-configuration.d.ts, read with the
 *   TypeScript parser) that are not vars: `npm run types` takes their names
 *   from .dev.vars.example, so the generated file does not depend on a local
 *   .dev.vars and `wrangler dev` finds it current (no "types might be out of
 *   date"); `wrangler types --check` agrees.
 * - `wrangler dev` and `wrangler deploy` copy the /docs renderer themselves
 *   (wrangler.jsonc's build.command), so plain wrangler ships a working /docs.
 * - Every binding (Durable Objects, R2, assets, rate limits) and every var and secret has a
 *   description in package.json `cloudflare.bindings`; nothing else does.
 * - .dev.vars.example (dotenv, as the button reads it) has exactly the
 *   secrets, each with a comment saying what to put there and no value.
 * - The README's configuration table has every var (with wrangler.jsonc's
 *   default) and every secret; its Deploy section has the button, the
 *   commands for every secret and the bucket, and a lifecycle rule whose
 *   flags wrangler knows.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { experimental_readRawConfig } from "wrangler";
import { z } from "zod";
import { CREATE_RATE_PERIOD_SECONDS } from "../../src/routes/create-rate.ts";
import { REPO_ROOT } from "../support/relay-process.ts";

const read = (file: string): string => readFileSync(join(REPO_ROOT, file), "utf8");

const WranglerConfig = z.object({
  name: z.string().min(1),
  main: z.string(),
  durable_objects: z.object({ bindings: z.array(z.object({ name: z.string(), class_name: z.string() })) }).optional(),
  migrations: z.array(z.object({ tag: z.string(), new_sqlite_classes: z.array(z.string()).optional() })).optional(),
  r2_buckets: z.array(z.object({ binding: z.string(), bucket_name: z.string() })).optional(),
  kv_namespaces: z.array(z.object({ binding: z.string() })).optional(),
  d1_databases: z.array(z.object({ binding: z.string() })).optional(),
  services: z.array(z.object({ binding: z.string() })).optional(),
  assets: z.object({ directory: z.string(), binding: z.string().optional() }).optional(),
  ratelimits: z
    .array(
      z.object({
        name: z.string(),
        namespace_id: z.string(),
        simple: z.object({ limit: z.number(), period: z.number() }),
      }),
    )
    .optional(),
  build: z.object({ command: z.string() }).optional(),
  vars: z.record(z.string(), z.string()).optional(),
});

const { rawConfig } = experimental_readRawConfig({ config: join(REPO_ROOT, "wrangler.jsonc") }) as {
  rawConfig: unknown;
};
const config = WranglerConfig.parse(rawConfig);
const vars = config.vars ?? {};

/** Bindings to resources: what the button provisions. */
const resourceBindings: string[] = [
  ...(config.durable_objects?.bindings.map((binding) => binding.name) ?? []),
  ...(config.r2_buckets?.map((bucket) => bucket.binding) ?? []),
  ...(config.kv_namespaces?.map((namespace) => namespace.binding) ?? []),
  ...(config.d1_databases?.map((database) => database.binding) ?? []),
  ...(config.services?.map((service) => service.binding) ?? []),
  ...(config.ratelimits?.map((rateLimit) => rateLimit.name) ?? []),
  ...(config.assets?.binding === undefined ? [] : [config.assets.binding]),
];

const TYPES_FILE = "worker-configuration.d.ts";

/** The secrets: the members of the generated Env typed `string` that are not vars. */
function declaredSecrets(): string[] {
  const source = ts.createSourceFile(TYPES_FILE, read(TYPES_FILE), ts.ScriptTarget.Latest, true);
  const names: string[] = [];
  source.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node) && node.name.text === "__BaseEnv_Env") {
      for (const member of node.members) {
        if (
          ts.isPropertySignature(member) &&
          ts.isIdentifier(member.name) &&
          member.type?.kind === ts.SyntaxKind.StringKeyword &&
          !(member.name.text in vars)
        ) {
          names.push(member.name.text);
        }
      }
    }
  });
  return names;
}
const secrets = declaredSecrets();

/** The text of a README section, from its `## ` heading to the next one. */
function readmeSection(heading: string): string {
  const readme = read("README.md");
  const start = readme.indexOf(`\n## ${heading}\n`);
  expect(start, `README section "## ${heading}"`).toBeGreaterThan(-1);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

describe("deploy readiness", () => {
  it("reads the real configuration", () => {
    expect(config.name).toBe("wan-relay");
    expect(resourceBindings).toEqual(expect.arrayContaining(["GENERATION", "CLIENT_INDEX", "KEYRING", "VIDEOS"]));
    expect(Object.keys(vars)).toEqual(expect.arrayContaining(["AIMLAPI_BASE_URL", "POLL_INTERVAL_SECONDS"]));
    expect(secrets).toEqual(["AIMLAPI_KEY", "RELAY_API_KEYS", "WEBHOOK_SECRET", "URL_SIGNING_SECRET"]);
    for (const secret of secrets) expect(vars, `${secret} must not be a plain var`).not.toHaveProperty(secret);
  });

  it("describes every binding, var and secret in package.json cloudflare.bindings, and nothing else", () => {
    const pkg = z
      .object({ cloudflare: z.object({ bindings: z.record(z.string(), z.object({ description: z.string() })) }) })
      .parse(JSON.parse(read("package.json")));
    const described = pkg.cloudflare.bindings;
    const expected = [...resourceBindings, ...Object.keys(vars), ...secrets];
    for (const name of expected) {
      expect(described[name]?.description.trim().length ?? 0, `description of ${name}`).toBeGreaterThanOrEqual(20);
    }
    expect(Object.keys(described).sort()).toEqual([...expected].sort());
  });

  it("names every secret in .dev.vars.example, with a comment and no value", () => {
    const text = read(".dev.vars.example");
    const entries = parseEnv(text);
    // Only secrets: the button turns every entry into a secret, so a var here would shadow wrangler.jsonc's.
    expect(Object.keys(entries).sort()).toEqual([...secrets].sort());
    const lines = text.split("\n");
    for (const secret of secrets) {
      // Empty: the button offers these values as defaults, and a written secret would be a public one.
      expect(entries[secret], secret).toBe("");
      const at = lines.findIndex((line) => line.startsWith(`${secret}=`));
      expect(lines[at - 1], `comment above ${secret}`).toMatch(/^# \S/);
    }
  });

  it("gives each resource a default name, and each Durable Object class a migration and an export", () => {
    for (const bucket of config.r2_buckets ?? [])
      expect(bucket.bucket_name).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
    const migrated = (config.migrations ?? []).flatMap((migration) => migration.new_sqlite_classes ?? []);
    const entry = read(config.main);
    for (const binding of config.durable_objects?.bindings ?? []) {
      expect(migrated, binding.class_name).toContain(binding.class_name);
      expect(entry, binding.class_name).toMatch(new RegExp(`export \\{ ${binding.class_name} \\}`));
    }
    expect(new Set(config.migrations?.map((migration) => migration.tag)).size).toBe(config.migrations?.length);
  });

  it("rate-limits creates with CREATE_RATE, in the windows the relay computes Retry-After for, as the README says", () => {
    const rateLimit = config.ratelimits?.find((binding) => binding.name === "CREATE_RATE");
    expect(rateLimit?.simple.period).toBe(CREATE_RATE_PERIOD_SECONDS);
    expect(Number(rateLimit?.namespace_id)).toBeGreaterThan(0);
    const row = readmeSection("Configuration")
      .split("\n")
      .find((line) => line.startsWith("| `CREATE_RATE`"));
    expect(row).toContain(`\`${rateLimit?.simple.limit}\` per \`${CREATE_RATE_PERIOD_SECONDS}\` s`);
  });

  it("lists every var (with its default) and every secret in the README's configuration table", () => {
    const rows = new Map<string, { kind: string; default: string }>();
    for (const line of readmeSection("Configuration").split("\n")) {
      const cells = line.split("|").map((cell) => cell.trim());
      const name = /^`([A-Z0-9_]+)`$/.exec(cells[1] ?? "")?.[1];
      if (name !== undefined) rows.set(name, { kind: cells[2] ?? "", default: cells[3] ?? "" });
    }
    for (const [name, value] of Object.entries(vars)) {
      expect(rows.get(name), name).toEqual({ kind: "var", default: value === "" ? "unset" : `\`${value}\`` });
    }
    for (const secret of secrets) expect(rows.get(secret)?.kind, secret).toBe("secret");
  });

  it("has the Deploy to Cloudflare button and every step of a deploy by hand in the README", () => {
    const deploy = readmeSection("Deploy");
    const button = /\[!\[Deploy to Cloudflare\]\(https:\/\/deploy\.workers\.cloudflare\.com\/button\)\]\((\S+)\)/.exec(
      deploy,
    );
    expect(button, "the button").not.toBeNull();
    const target = new URL(button?.[1] ?? "");
    expect(target.origin + target.pathname).toBe("https://deploy.workers.cloudflare.com/");
    expect(new URL(target.searchParams.get("url") ?? "").hostname).toMatch(/^(github|gitlab)\.com$/);

    for (const bucket of config.r2_buckets ?? []) {
      expect(deploy).toContain(`npx wrangler r2 bucket create ${bucket.bucket_name}`);
      expect(deploy).toContain(`npx wrangler r2 bucket lifecycle add ${bucket.bucket_name}`);
    }
    for (const secret of secrets) expect(deploy).toContain(`npx wrangler secret put ${secret}`);
    expect(deploy).toContain("npm run deploy");
    for (const topic of ["WEBHOOK_SECRET", "RELAY_API_KEYS", "URL_SIGNING_SECRET", "GET /v1/webhooks/secret"]) {
      expect(deploy, topic).toContain(topic);
    }
  });

  it("generates the Env types from wrangler.jsonc and .dev.vars.example alone, and they are current", () => {
    const header = read(TYPES_FILE)
      .split("\n")
      .find((line) => line.startsWith("// Generated by Wrangler by running"));
    const command = /running `(wrangler types [^`]*)`/.exec(header ?? "")?.[1] ?? "";
    expect(command).toContain("--env-file=.dev.vars.example");
    const pkg = z.object({ scripts: z.record(z.string(), z.string()) }).parse(JSON.parse(read("package.json")));
    expect(pkg.scripts["types"]).toContain("--env-file .dev.vars.example");
    // What `wrangler dev` checks at start (with the header's own arguments): exit 0 when current.
    execFileSync(join(REPO_ROOT, "node_modules", ".bin", "wrangler"), [...command.split(" ").slice(1), "--check"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
    });
  });

  it("copies the /docs renderer in wrangler's own build step, with a script the package ships", () => {
    expect(config.build?.command).toBe("node scripts/copy-docs-assets.mjs");
    const pkg = z.object({ files: z.array(z.string()) }).parse(JSON.parse(read("package.json")));
    expect(pkg.files).toContain("scripts/copy-docs-assets.mjs");
  });

  it("uses only lifecycle options that wrangler has, including aborting stale multipart uploads", () => {
    const commands = readmeSection("Deploy")
      .split("\n")
      .filter((line) => line.startsWith("npx wrangler r2 bucket lifecycle add "));
    expect(commands.length).toBeGreaterThanOrEqual(2);
    expect(commands.join("\n")).toContain("--abort-multipart-days");
    const help = execFileSync(
      join(REPO_ROOT, "node_modules", ".bin", "wrangler"),
      ["r2", "bucket", "lifecycle", "add", "--help"],
      {
        encoding: "utf8",
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
      },
    );
    for (const flag of commands.flatMap((command) => command.match(/--[a-z-]+/g) ?? [])) {
      expect(help, flag).toContain(`${flag} `);
    }
  });
});
