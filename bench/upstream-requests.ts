/**
 * How many requests the relay makes upstream per generation: submits, polls
 * and downloads, as counted by the fake AI/ML API for each generation's exact
 * prompt. N generations run concurrently per scenario, so the figures include
 * whatever concurrency does to them (it should do nothing: each generation is
 * its own Durable Object with its own alarm).
 *
 *   node bench/upstream-requests.ts [--n 10]
 *
 * With the default status sequence (queued, waiting, active, generating,
 * completed) the floor is 1 submit, 5 polls, 1 download; the fault scenarios
 * show what each kind of retry adds.
 */
import {
  events,
  numberOptions,
  printFigure,
  printHeading,
  printTable,
  runBench,
  runToCompletion,
  startBench,
  meanMinMaxRow,
  uniquePrompt,
  upstreamStats,
  type Bench,
} from "./lib.ts";

const options = numberOptions({ n: 10 });
const N = Math.max(1, Math.floor(options.n));

interface Scenario {
  label: string;
  /** `[[fake ...]]` directives; the fake consumes faults per task (submit: per prompt). */
  directives: string;
  why: string;
}

const SCENARIOS: Scenario[] = [
  { label: "default steps", directives: "", why: "no faults: the floor" },
  {
    label: "poll=500,429:1",
    directives: "poll=500,429:1",
    why: "a 5xx then a 429 with Retry-After: 1 on the first polls",
  },
  {
    label: "submit=503 poll=500 download=cut",
    directives: "submit=503 poll=500 download=cut",
    why: "one failure of each kind: submit retried on 5xx, poll retried, download cut halfway and retried",
  },
];

interface Counts {
  submits: number;
  polls: number;
  downloads: number;
  relayPolls: number;
  seconds: number;
  /** Retry events in the relay's own timeline, by type, with their reasons. */
  retries: { type: string; reason: string }[];
}

/** Timeline events that mean "this request failed and will be made again". */
const RETRY_EVENTS = new Set(["upstream.submit_retry", "upstream.poll_failed", "storage.failed"]);

async function runScenario(bench: Bench, scenario: Scenario): Promise<Counts[]> {
  const prompts = Array.from({ length: N }, (_, i) => uniquePrompt(`upstream-${i}`, scenario.directives));
  return Promise.all(
    prompts.map(async (prompt) => {
      const started = Date.now();
      const done = await runToCompletion(bench.relay, { prompt }, 90_000);
      const seconds = (Date.now() - started) / 1000;
      const stats = await upstreamStats(bench.upstream, prompt);
      const retries = (await events(bench.relay, done.id))
        .filter((e) => RETRY_EVENTS.has(e.type))
        .map((e) => ({ type: e.type, reason: String(e.detail["reason"] ?? "") }));
      return {
        submits: stats.submits,
        polls: stats.polls,
        downloads: stats.downloads,
        relayPolls: done.upstream.polls,
        seconds,
        retries,
      };
    }),
  );
}

function row(label: string, values: number[]): string[] {
  return meanMinMaxRow(label, values, { mean: 2, extremes: 1 });
}

runBench("upstream-requests", 150_000, async () => {
  const bench = await startBench({ POLL_INTERVAL_SECONDS: "0.2" });
  console.log(
    `relay ${bench.relay.url}, upstream ${bench.upstream.url}; ${N} concurrent generations per scenario, POLL_INTERVAL_SECONDS 0.2`,
  );
  const totals: [string, number][] = [];
  for (const scenario of SCENARIOS) {
    printHeading(`${scenario.label}  (${scenario.why})`);
    const counts = await runScenario(bench, scenario);
    printTable(
      ["per generation", "mean", "min", "max"],
      [
        row(
          "upstream submits",
          counts.map((c) => c.submits),
        ),
        row(
          "upstream polls",
          counts.map((c) => c.polls),
        ),
        row(
          "upstream downloads",
          counts.map((c) => c.downloads),
        ),
        row(
          "upstream.polls (relay's count)",
          counts.map((c) => c.relayPolls),
        ),
        row(
          "create → completed (s)",
          counts.map((c) => c.seconds),
        ),
      ],
    );
    // Why the relay retried, as its timeline says: explains every count above the floor.
    const reasons = new Map<string, number>();
    for (const c of counts)
      for (const r of c.retries)
        reasons.set(`${r.type}: ${r.reason}`, (reasons.get(`${r.type}: ${r.reason}`) ?? 0) + 1);
    if (reasons.size > 0) {
      console.log("retries in the relay's timelines (all generations):");
      for (const [reason, n] of [...reasons].sort((a, b) => b[1] - a[1]))
        console.log(`  ${String(n).padStart(3)} × ${reason}`);
    }
    totals.push([scenario.label, counts.reduce((a, c) => a + c.submits + c.polls + c.downloads, 0) / counts.length]);
  }
  printHeading("total upstream requests per generation (mean)");
  for (const [label, total] of totals) printFigure(label, total, "requests");
});
