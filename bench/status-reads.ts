/**
 * Throughput and latency of status reads on one completed generation: C
 * concurrent loops, each sending its next GET as soon as the previous answer
 * is read, for a fixed time. Status reads never touch the upstream, so this is
 * the Worker + Durable Object round trip under `wrangler dev`.
 *
 *   node bench/status-reads.ts [--seconds 5] [--concurrency 8]
 *
 * The load generator runs on the same machine as workerd and competes with it
 * for the CPU, so requests/s is a floor for this machine, not a capacity.
 */
import type { RelayProcess } from "../test/support/relay-process.ts";
import {
  AUTH,
  fmt,
  numberOptions,
  percentile,
  printHeading,
  printTable,
  runBench,
  runToCompletion,
  startBench,
  uniquePrompt,
} from "./lib.ts";

const options = numberOptions({ seconds: 5, concurrency: 8 });
const SECONDS = options.seconds;
const CONCURRENCY = Math.max(1, Math.floor(options.concurrency));
/** Per loop; far above what a few seconds can reach, it only bounds a runaway loop. */
const MAX_REQUESTS_PER_LOOP = 1_000_000;

interface Result {
  label: string;
  requests: number;
  errors: number;
  firstError: string | null;
  elapsedMs: number;
  latenciesMs: number[];
}

async function hammer(label: string, url: string): Promise<Result> {
  const latenciesMs: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  const loop = async (): Promise<void> => {
    for (let i = 0; i < MAX_REQUESTS_PER_LOOP && performance.now() < deadline; i++) {
      const t0 = performance.now();
      try {
        const response = await fetch(url, { headers: AUTH, signal: AbortSignal.timeout(10_000) });
        // Read the whole body: the time to the last byte is what a client waits for.
        const body = await response.text();
        if (response.status !== 200) {
          errors++;
          firstError ??= `HTTP ${response.status}: ${body.slice(0, 200)}`;
          continue;
        }
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
        continue;
      }
      latenciesMs.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  return {
    label,
    requests: latenciesMs.length + errors,
    errors,
    firstError,
    elapsedMs: performance.now() - started,
    latenciesMs,
  };
}

/** A short untimed run first, so the timed one does not pay for connection set-up and a cold isolate. */
async function warmUp(url: string): Promise<void> {
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = 0; i < 10; i++)
        await (await fetch(url, { headers: AUTH, signal: AbortSignal.timeout(10_000) })).text();
    }),
  );
}

async function measure(relay: RelayProcess, label: string, path: string): Promise<Result> {
  const url = `${relay.url}${path}`;
  await warmUp(url);
  return hammer(label, url);
}

runBench("status-reads", 120_000, async () => {
  const bench = await startBench({ POLL_INTERVAL_SECONDS: "0.2" });
  const done = await runToCompletion(bench.relay, { prompt: uniquePrompt("status-reads") });
  console.log(
    `relay ${bench.relay.url}; generation ${done.id} (completed); ${CONCURRENCY} concurrent loops × ${SECONDS} s per route`,
  );

  const results = [
    await measure(bench.relay, "GET /v1/generations/{id}", `/v1/generations/${done.id}`),
    await measure(
      bench.relay,
      "GET /v2/generate/…?generation_id= (compat)",
      `/v2/generate/video/alibaba/generation?generation_id=${done.id}`,
    ),
  ];

  printHeading("status reads");
  printTable(
    ["route", "requests", "req/s", "p50 ms", "p95 ms", "max ms", "errors"],
    results.map((r) => [
      r.label,
      String(r.requests),
      fmt(r.requests / (r.elapsedMs / 1000)),
      fmt(percentile(r.latenciesMs, 50), 2),
      fmt(percentile(r.latenciesMs, 95), 2),
      fmt(Math.max(...r.latenciesMs), 2),
      String(r.errors),
    ]),
  );
  for (const r of results) if (r.firstError !== null) console.log(`first error on ${r.label}: ${r.firstError}`);
});
