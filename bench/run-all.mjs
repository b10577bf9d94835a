#!/usr/bin/env node
/**
 * Runs every benchmark in turn, each in its own Node process (the same Node
 * binary as this one, which runs the TypeScript directly), with a header per
 * bench. Each bench starts and stops its own relay, so one bench's leftovers
 * (alarms, R2 objects, workerd memory) never colour the next one's figures.
 *
 *   npm run bench
 *
 * Bounded: every bench has its own time limit inside, and this runner kills a
 * bench that outlives its limit (LIMIT_MS, or its own `limitMs`) anyway. Ctrl-C (or SIGTERM) is passed on to the
 * running bench, which stops its relay and servers before exiting.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const BENCHES = [
  { file: "upstream-requests.ts", what: "upstream submits, polls and downloads per generation" },
  { file: "webhook-latency.ts", what: "completed_at → webhook arrival" },
  { file: "copy-memory.ts", what: "workerd memory while copying a large video into R2" },
  { file: "status-reads.ts", what: "status read throughput and latency" },
  { file: "bundle-size.ts", what: "the Worker's size as wrangler deploy uploads it" },
  { file: "cost.ts", what: "billable units per generation (docs/cost.md)" },
  { file: "cold-paths.ts", what: "first call vs warm in a fresh isolate", limitMs: 420_000 },
  { file: "floor.ts", what: "the relay against its floor, alternating (about 11 minutes)", limitMs: 1_530_000 },
  { file: "many-at-once.ts", what: "1,000 generations at once", limitMs: 660_000 },
];
/** Above the own limit of each bench without a `limitMs` (at most 170 s), so a bench normally stops itself first. */
const LIMIT_MS = 200_000;

let current = null;
let interrupted = false;

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    interrupted = true;
    // The bench cleans up on this signal; from a terminal it has already had
    // its own copy of SIGINT, and its handler ignores the repeat.
    if (current !== null && current.exitCode === null) current.kill(signal);
  });
}

/** Runs one bench; resolves to its exit code (or a description of how it ended). */
function run(file, limitMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL(file, import.meta.url))], { stdio: "inherit" });
    current = child;
    const timer = setTimeout(() => {
      console.error(`\n${file}: still running after ${limitMs / 1000} s; stopping it`);
      child.kill("SIGTERM");
      // If it does not stop its relay within 15 s, end it outright.
      setTimeout(() => child.exitCode === null && child.kill("SIGKILL"), 15_000).unref();
    }, limitMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      current = null;
      resolve(code ?? signal ?? "unknown");
    });
  });
}

const started = Date.now();
const outcomes = [];
for (const bench of BENCHES) {
  if (interrupted) break;
  const title = `${bench.file} — ${bench.what}`;
  console.log(`\n${"=".repeat(title.length)}\n${title}\n${"=".repeat(title.length)}`);
  outcomes.push({ file: bench.file, result: await run(bench.file, bench.limitMs ?? LIMIT_MS) });
}

console.log(`\nall benches: ${((Date.now() - started) / 1000).toFixed(1)} s`);
const failed = outcomes.filter((o) => o.result !== 0);
for (const o of failed) console.log(`  ${o.file} ended with ${o.result}`);
process.exit(interrupted ? 130 : failed.length > 0 ? 1 : 0);
