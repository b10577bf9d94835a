/**
 * What one generation costs in billable units, from the relay's own counters:
 * Durable Object requests (every RPC and every alarm), SQLite rows written and
 * read, R2 Class A/B operations, bytes stored, calls to the client index. Each
 * generation reports them in its `generation.settled` log line (src/lib/log.ts,
 * src/generation/meter.ts), which this bench reads from `wrangler dev`'s output;
 * it never reads a generation over the API while it runs, since each read
 * would be one more Durable Object request in the counts.
 *
 *   node bench/cost.ts [--n 5] [--poll 0.25] [--polls 18] [--short 5]
 *
 * The generations run on the built-in simulator. The seed's case polls every
 * 10 s for ~3 min, i.e. 180 / 10 = 18 polls; here the time is scaled down
 * (POLL_INTERVAL_SECONDS = --poll, SIMULATOR_SECONDS = --polls × --poll), so
 * the number of polls, and so of alarms, is the seed's. A second relay runs
 * shorter generations (--short polls); the difference gives the cost of one
 * more poll, and so the counts for any duration.
 */
import {
  fmt,
  numberOptions,
  printFigure,
  printHeading,
  printTable,
  runBench,
  sleep,
  startBench,
  meanMinMaxRow,
  summary,
  uniquePrompt,
  createGeneration,
  type Bench,
} from "./lib.ts";
import type { MeterCounts } from "../src/lib/log.ts";

const options = numberOptions({ n: 5, poll: 0.25, polls: 18, short: 5 });
const N = Math.max(1, Math.floor(options.n));
const POLL = options.poll;

interface Settled {
  generation: string;
  status: string;
  polls: number;
  meter: MeterCounts;
  sqlite_bytes: number;
}

/** The counters a table shows, in order, with how they are billed. */
const COUNTERS = [
  ["do_requests", "Durable Object requests (RPC + alarms)"],
  ["alarms", "  of which alarm invocations"],
  ["rows_written", "SQLite rows written (incl. 1 per setAlarm)"],
  ["setalarm_calls", "  of which setAlarm calls"],
  ["rows_read", "SQLite rows read"],
  ["r2_class_a", "R2 Class A operations"],
  ["r2_class_b", "R2 Class B operations"],
  ["r2_free", "R2 free operations (delete, abort)"],
  ["bytes_stored", "bytes stored in R2"],
  ["index_requests", "requests to the client index (its DO)"],
  ["busy_ms", "object busy, ms (alarms + webhook attempts)"],
] as const satisfies readonly (readonly [keyof MeterCounts, string])[];
type Counter = (typeof COUNTERS)[number][0];

/** The `generation.settled` lines in the relay's output so far, by generation id. */
function settledLines(bench: Bench): Map<string, Settled> {
  const out = new Map<string, Settled>();
  for (const line of bench.relay.logs().split("\n")) {
    if (!line.startsWith('{"level":') || !line.includes('"generation.settled"')) continue;
    const parsed = JSON.parse(line) as Settled;
    out.set(parsed.generation, parsed);
  }
  return out;
}

/** Runs `count` generations at once and waits for each one's settled line (no API reads meanwhile). */
async function runGroup(bench: Bench, label: string, count: number, webhook: boolean): Promise<Settled[]> {
  const ids = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const body: Record<string, unknown> = { prompt: uniquePrompt(`${label}-${i}`) };
      if (webhook) body.webhook_url = `${bench.receiver.url}/hook/${crypto.randomUUID()}/200`;
      return (await createGeneration(bench.relay, body)).id;
    }),
  );
  const deadline = Date.now() + 90_000;
  for (;;) {
    const settled = settledLines(bench);
    const found = ids.map((id) => settled.get(id));
    if (found.every((s) => s !== undefined)) {
      const bad = found.filter((s) => s.status !== "completed");
      if (bad.length > 0) throw new Error(`${label}: ${bad.map((s) => `${s.generation} ${s.status}`).join(", ")}`);
      return found;
    }
    if (Date.now() > deadline) throw new Error(`${label}: not every generation settled within 90 s`);
    await sleep(100);
  }
}

const mean = (group: readonly Settled[], counter: Counter | "polls"): number =>
  summary(group.map((s) => (counter === "polls" ? s.polls : s.meter[counter]))).mean;

function printGroup(title: string, group: readonly Settled[]): void {
  printHeading(`${title}: ${group.length} generations, per generation`);
  const row = (name: string, values: number[]): string[] => meanMinMaxRow(name, values, { mean: 1, extremes: 0 });
  printTable(
    ["measured", "mean", "min", "max"],
    [
      row(
        "upstream polls",
        group.map((s) => s.polls),
      ),
      row(
        "SQLite database size, bytes (DO stored data)",
        group.map((s) => s.sqlite_bytes),
      ),
      ...COUNTERS.map(([key, name]) =>
        row(
          name,
          group.map((s) => s.meter[key]),
        ),
      ),
    ],
  );
  const rpc: Record<string, number> = {};
  for (const s of group) for (const [name, n] of Object.entries(s.meter.rpc)) rpc[name] = (rpc[name] ?? 0) + n;
  console.log(`RPC calls (all ${group.length}): ${JSON.stringify(rpc)}`);
}

async function measure(polls: number, withoutWebhook: boolean): Promise<{ hook: Settled[]; plain: Settled[] }> {
  const bench = await startBench({
    AIMLAPI_KEY: "",
    SIMULATOR: "true",
    POLL_INTERVAL_SECONDS: String(POLL),
    SIMULATOR_SECONDS: String(polls * POLL),
  });
  console.log(
    `\nrelay ${bench.relay.url}: simulator, POLL_INTERVAL_SECONDS ${POLL}, SIMULATOR_SECONDS ${fmt(polls * POLL, 2)} (≈ ${polls} polls)`,
  );
  const hook = await runGroup(bench, `hook-${polls}`, N, true);
  const plain = withoutWebhook ? await runGroup(bench, `plain-${polls}`, N, false) : [];
  await bench.relay.stop();
  return { hook, plain };
}

runBench("cost", 170_000, async () => {
  console.log(`${N} concurrent generations per group; counts from each generation's generation.settled log line`);
  const long = await measure(options.polls, true);
  printGroup(`${options.polls}-poll generations with a webhook (delivered at once)`, long.hook);
  printGroup(`${options.polls}-poll generations without a webhook`, long.plain);
  const short = await measure(options.short, false);
  printGroup(`${options.short}-poll generations with a webhook`, short.hook);

  // Linear in the number of polls: fixed + perPoll × polls, from the two poll counts measured.
  const pollsLong = mean(long.hook, "polls");
  const pollsShort = mean(short.hook, "polls");
  if (pollsLong - pollsShort < 1) throw new Error("the two groups made the same number of polls; nothing to derive");
  const seedPolls = 180 / 10;
  printHeading(`derived: counts = fixed + per poll × polls (from ${fmt(pollsShort)} and ${fmt(pollsLong)} polls)`);
  const rows = COUNTERS.filter(([key]) => key !== "busy_ms" && key !== "bytes_stored").map(([key, name]) => {
    const perPoll = (mean(long.hook, key) - mean(short.hook, key)) / (pollsLong - pollsShort);
    const fixed = mean(long.hook, key) - perPoll * pollsLong;
    return [name, fmt(fixed, 1), fmt(perPoll, 2), fmt(fixed + perPoll * seedPolls, 1), fmt(fixed + perPoll * 60, 1)];
  });
  printTable(["counter", "fixed", "per poll", "18 polls (10 s, 3 min)", "60 polls (10 min)"], rows);
  const webhookShare = COUNTERS.filter(([key]) => key !== "busy_ms").map(([key, name]) => [
    name,
    fmt(mean(long.hook, key) - mean(long.plain, key), 1),
  ]);
  printHeading(`a webhook delivered at once adds (${options.polls}-poll groups, with − without)`);
  printTable(["counter", "difference"], webhookShare);
  printFigure(
    "bytes stored",
    mean(long.hook, "bytes_stored"),
    "B",
    "the simulator's 4 s sample; the seed's ~30 MB is scaled in docs/cost.md",
  );
});
