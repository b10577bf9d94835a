#!/usr/bin/env node
// `npm start`: the relay on localhost with the simulated upstream, no set-up.
// On first run it writes .dev.vars (git-ignored) with a development client key
// and master webhook secret, prints the key and that client's own webhook
// secret, then runs `wrangler dev` with WEBHOOK_ALLOW_PRIVATE=true
// so webhooks can reach a receiver on this machine, and SIMULATOR=true so
// that, without an AIMLAPI_KEY in .dev.vars, generations run on the built-in
// simulator (a deployment without the key refuses them instead). Extra
// arguments go to wrangler: `npm start -- --port 9000 --var SIMULATOR_SECONDS:5`, or
// `--local-protocol https`.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { devAddress } from "./dev-address.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const devVarsPath = join(root, ".dev.vars");

function readDevVars() {
  if (!existsSync(devVarsPath)) return {};
  const vars = {};
  for (const line of readFileSync(devVarsPath, "utf8").split("\n")) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*"?(.*?)"?\s*$/.exec(line);
    if (match) vars[match[1]] = match[2];
  }
  return vars;
}

const vars = readDevVars();
if (!vars.RELAY_API_KEYS || !vars.WEBHOOK_SECRET) {
  vars.RELAY_API_KEYS ||= `dev:dev_${randomBytes(18).toString("base64url")}`;
  vars.WEBHOOK_SECRET ||= `whsec_${randomBytes(32).toString("base64")}`;
  const body = Object.entries(vars)
    .map(([name, value]) => `${name}="${value}"`)
    .join("\n");
  writeFileSync(devVarsPath, `# Written by npm start for local development only. Delete to regenerate.\n${body}\n`);
}

const { args, url, https } = devAddress(process.argv.slice(2));
const [firstEntry = ""] = vars.RELAY_API_KEYS.split(",");
const devKey = firstEntry.includes(":") ? firstEntry.slice(firstEntry.indexOf(":") + 1) : firstEntry;
const devClient = firstEntry.includes(":") ? firstEntry.slice(0, firstEntry.indexOf(":")) : null;
// Webhooks are signed with the creating client's own secret, derived from WEBHOOK_SECRET
// (the same code the Worker runs; GET /v1/webhooks/secret answers the same value).
const { clientWebhookSecret } = await import("../src/webhook/client-secret.ts");
const devSecret =
  devClient === null ? "(GET /v1/webhooks/secret)" : await clientWebhookSecret(vars.WEBHOOK_SECRET, devClient);

const upstream = vars.AIMLAPI_KEY
  ? "the AI/ML API, with AIMLAPI_KEY from .dev.vars: generations are real and billed"
  : "simulated upstream: no AI/ML API key, no network";
process.stderr.write(`
  wan-relay (local, ${upstream})
  URL:             ${url}
  playground:      ${url}/
  client key:      ${devKey}
  webhook secret:  ${devSecret}   (this client's; verify its webhooks with it)

  curl -s${https ? "k" : ""} -X POST ${url}/v1/generations -H "Authorization: Bearer ${devKey}" \\
    -H "Content-Type: application/json" -d '{"prompt":"A raccoon eating ice cream"}'

`);

const wrangler = join(root, "node_modules", ".bin", "wrangler");
const child = spawn(wrangler, ["dev", "--var", "WEBHOOK_ALLOW_PRIVATE:true", "--var", "SIMULATOR:true", ...args], {
  cwd: root,
  stdio: "inherit",
  env: { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", ...process.env },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
