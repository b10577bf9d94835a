/**
 * Runs the AI/ML API's published example scripts themselves against the
 * relay, each as printed but for its base URL and key: the Python and
 * JavaScript blocks of the per-model pages of a checkout of aimlapi/api-docs,
 * against two local relays on the simulator (`wrangler dev`, http for most
 * scripts, https for the Node scripts built on the `https` module, which
 * refuse an http URL).
 *
 *   node scripts/run-published-examples.ts <checkout of aimlapi/api-docs> [--parallel 6] [--only TEXT] [--timeout-seconds 180]
 *
 * Where `npm run sync-models` reads the scripts as data (nothing is run),
 * this runs them: it shows that what the scripts do with the answers (the id
 * they read, the statuses they loop on, what they print) works too. Each
 * script gets its own client key, so the relay can tell a script that sent
 * nothing (a broken script) from one it answered. Verdicts:
 *
 *   completed   the script printed a completed generation with the relay's video link
 *               (a script that only creates, its page polling in another: the generation's id)
 *   refused     refused with 400 naming the field, as docs/compatibility.md lists (on purpose)
 *   sent nothing  the script never reached the relay (it does not run as printed)
 *   FAILED      anything else: the relay's fault until shown otherwise
 *
 * Exits 1 when any script FAILED. Needs python3 with `requests`, and Node.
 * Everything runs on 127.0.0.1; the simulator fetches nothing.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localGet, startRelay, type RelayProcess } from "../test/support/relay-process.ts";
import { scriptBlocks, type ScriptBlock } from "./docs-examples.ts";
import type { DocumentedExample } from "./documented-examples-types.ts";
import { adaptScript, usesHttpsModule } from "./example-scripts.ts";
import { buildCatalogue, readSource, SOURCE_DIR } from "./sync-models.ts";

type Verdict = "completed" | "refused" | "sent nothing" | "FAILED";

interface Job {
  page: string;
  script: ScriptBlock;
  /** What the corpus knows of it: its example (null for a script it could not read). */
  example: DocumentedExample | null;
  client: string;
  key: string;
}

interface Outcome {
  job: Job;
  verdict: Verdict;
  seconds: number;
  output: string;
}

const args = process.argv.slice(2);
const checkout = args.find((arg, i) => !arg.startsWith("--") && !args[i - 1]?.startsWith("--"));
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
if (checkout === undefined) {
  console.error(
    "usage: node scripts/run-published-examples.ts <checkout of aimlapi/api-docs> [--parallel 6] [--only TEXT]",
  );
  process.exit(2);
}
const PARALLEL = Number(option("--parallel", "6"));
const ONLY = option("--only", "");
const TIMEOUT_MS = Number(option("--timeout-seconds", "180")) * 1000;

/** The relay's answer to a poll carries `error: null` while all is well; any other "error" counts. */
const HARMLESS_ERROR = /["']?error["']?\s*:\s*(?:None|null)/g;

function jobsOf(checkoutDir: string): Job[] {
  const source = readSource(checkoutDir);
  const corpus = buildCatalogue(source.operations, source.commit, source.pages).examples;
  const jobs: Job[] = [];
  for (const page of source.pages) {
    const markdown = readFileSync(join(checkoutDir, SOURCE_DIR, page.page), "utf8");
    for (const script of scriptBlocks(markdown).scripts) {
      const example = corpus.examples.find((e) => e.page === page.page && e.block === script.name) ?? null;
      const unreadable = corpus.unreadable.some((u) => u.page === page.page && u.block === script.name);
      // Only what sends a create: not a script that only polls an id the reader fills in, nor a fragment.
      if (example === null && !unreadable) continue;
      if (ONLY !== "" && !`${page.page} ${script.name}`.includes(ONLY)) continue;
      const client = `example${jobs.length + 1}`;
      jobs.push({ page: page.page, script, example, client, key: `key_${randomBytes(12).toString("hex")}` });
    }
  }
  return jobs;
}

/** A relay on the simulator that knows every script's key. */
function startExampleRelay(https: boolean, keys: string): Promise<RelayProcess> {
  return startRelay({
    https,
    readyTimeoutMs: 90_000,
    vars: {
      SIMULATOR: "true",
      SIMULATOR_SECONDS: "5",
      WEBHOOK_ALLOW_PRIVATE: "true",
      RELAY_API_KEYS: keys,
      WEBHOOK_SECRET: `whsec_${randomBytes(32).toString("base64")}`,
    },
  });
}

async function runScript(job: Job, relay: RelayProcess, workDir: string): Promise<Outcome> {
  const { script } = job;
  // A .js file outside any package: Node takes it as CommonJS, or as an ES module when it has
  // module syntax (`import`, or an `await` at the top level, as many of the pages' scripts do).
  const file = join(workDir, `${job.client}.${script.language === "python" ? "py" : "js"}`);
  writeFileSync(file, adaptScript(script.text, relay.url, job.key));
  const command = script.language === "python" ? "python3" : process.execPath;
  const started = Date.now();
  const output = await new Promise<string>((resolve) => {
    const child = spawn(command, [file], {
      cwd: workDir,
      // Node's `https` scripts meet the local relay's self-signed certificate.
      env: { ...process.env, PYTHONUNBUFFERED: "1", NODE_TLS_REJECT_UNAUTHORIZED: "0", NODE_NO_WARNINGS: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
    const timer = setTimeout(() => {
      text += `\n[timed out after ${TIMEOUT_MS / 1000} s]`;
      child.kill("SIGKILL");
    }, TIMEOUT_MS);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve(code === 0 ? text : `${text}\n[exit code ${code}]`);
    });
  });
  const seconds = (Date.now() - started) / 1000;
  return { job, verdict: await judge(job, relay, output), seconds, output };
}

async function judge(job: Job, relay: RelayProcess, output: string): Promise<Verdict> {
  const listed = await localGet(`${relay.url}/v1/generations`, { Authorization: `Bearer ${job.key}` });
  const created = listed.status === 200 && (JSON.parse(listed.body) as { data: unknown[] }).data.length > 0;
  const failed = /\[exit code|\[timed out/.test(output) || /error/i.test(output.replace(HARMLESS_ERROR, ""));
  const refusal = job.example?.refused ?? null;
  if (refusal !== null) {
    return !created && output.includes("400") && output.includes(refusal.field) ? "refused" : "FAILED";
  }
  if (!created) return /\b(?:400|401|403|404|422|429|5\d\d)\b/.test(output) ? "FAILED" : "sent nothing";
  if (failed) return "FAILED";
  // A script that only creates (its page polls in another script) shows the generation's id.
  if (!job.script.text.includes("generation_id")) return /gen_[0-9a-z]+/.test(output) ? "completed" : "FAILED";
  return output.includes("completed") && output.includes(`${relay.url}/v1/generations/`) ? "completed" : "FAILED";
}

async function main(): Promise<void> {
  const jobs = jobsOf(checkout as string);
  const keys = jobs.map((job) => `${job.client}:${job.key}`).join(",");
  const workDir = mkdtempSync(join(tmpdir(), "wan-relay-examples-"));
  const relays: RelayProcess[] = [];
  const stop = (): Promise<unknown> => Promise.all(relays.map((relay) => relay.stop()));
  process.on("SIGINT", () => void stop().then(() => process.exit(130)));
  try {
    const plain = await startExampleRelay(false, keys);
    relays.push(plain);
    const https = await startExampleRelay(true, keys);
    relays.push(https);
    console.log(`${jobs.length} scripts, ${PARALLEL} at a time; relays ${plain.url} and ${https.url}`);
    const outcomes: Outcome[] = [];
    const started = Date.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < jobs.length) {
        const job = jobs[next++] as Job;
        const relay = job.script.language === "javascript" && usesHttpsModule(job.script.text) ? https : plain;
        const outcome = await runScript(job, relay, workDir);
        outcomes.push(outcome);
        console.log(
          `${outcome.verdict.padEnd(12)} ${outcome.seconds.toFixed(1).padStart(6)} s  ${job.page} ${job.script.name}`,
        );
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    const count = (verdict: Verdict): number => outcomes.filter((o) => o.verdict === verdict).length;
    console.log(
      `\n${outcomes.length} scripts: ${count("completed")} completed, ${count("refused")} refused as listed, ` +
        `${count("sent nothing")} sent nothing, ${count("FAILED")} FAILED (${((Date.now() - started) / 1000).toFixed(0)} s)`,
    );
    for (const { job, verdict, output } of outcomes) {
      if (verdict === "completed" || verdict === "refused") continue;
      const tail = output.trim().split("\n").slice(-12).join("\n    ");
      console.log(`\n${verdict}: ${job.page} ${job.script.name} (${job.example?.model ?? "unread"})\n    ${tail}`);
    }
    process.exitCode = count("FAILED") > 0 ? 1 : 0;
  } finally {
    await stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
