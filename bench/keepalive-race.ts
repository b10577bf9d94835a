/**
 * The keep-alive experiment behind `submit_uncertain` under load
 * (docs/benchmarks.md): does workerd send a request over a pooled connection
 * that the upstream is closing at that very moment, and what does the Worker
 * see then?
 *
 *   node bench/keepalive-race.ts [--keepalive-ms 100] [--from 20] [--to 80] [--step 4] [--repeat 3] [--block-ms 50]
 *
 * The fake upstream closes an idle connection `keepalive-ms` plus Node's
 * `keepAliveTimeoutBuffer` after its last answer. The floor Worker
 * (bench/floor/worker.ts, `/upstream-probe`) sends requests one after another
 * from one isolate, so each reuses workerd's pooled connection after a gap;
 * the gaps go from `from` ms before the idle close to `to` ms after it,
 * `step` apart, the sweep `repeat` times. Four runs, each with its own fake and
 * floor: POST and GET while this process (the fakes') is kept busy `block-ms`
 * of every `2 × block-ms`, as a fake sharing its process with a load generator
 * is; POST to a fake that never closes idle connections (the control), with
 * the same busy process; and POST with the process idle.
 *
 * Everything on 127.0.0.1; bounded; the servers stop on every way out.
 */
import { startFakeAimlapi, type FakeAimlapi } from "../test/support/fake-aimlapi.ts";
import { startRelay, type RelayProcess } from "../test/support/relay-process.ts";
import { TEST_UPSTREAM_KEY } from "../test/support/constants.ts";
import { Server } from "node:http";
import { busyEventLoop, loadAverage, numberOptions, onCleanup, printHeading, printTable, runBench } from "./lib.ts";

const options = numberOptions({ "keepalive-ms": 100, from: 20, to: 80, step: 4, repeat: 3, "block-ms": 50 });
const KEEPALIVE_MS = Math.floor(options["keepalive-ms"]);
const BLOCK_MS = Math.floor(options["block-ms"]);
/**
 * Node closes an idle connection this long after keepAliveTimeout, not at it
 * (`server.keepAliveTimeoutBuffer`, 1 s by default in recent Node 22; absent,
 * so 0, in older ones): the sweep is centred on the real close.
 */
const CLOSE_BUFFER_MS = (new Server() as Server & { keepAliveTimeoutBuffer?: number }).keepAliveTimeoutBuffer ?? 0;
const CLOSE_MS = KEEPALIVE_MS + CLOSE_BUFFER_MS;
const STEP_MS = Math.max(1, Math.floor(options.step));
/** Gaps from close − from to close + to, STEP_MS apart, the whole sweep `repeat` times. */
const FIRST_GAP_MS = Math.max(0, CLOSE_MS - Math.floor(options.from));
const PERIOD = Math.floor((Math.floor(options.from) + Math.floor(options.to)) / STEP_MS) + 1;
const N = PERIOD * Math.max(1, Math.floor(options.repeat));
/** The control: the fake's default, which never closes an idle connection. */
const NEVER_MS = 0;

interface ProbeResult {
  n: number;
  ok: number;
  failed: number;
  failures: { at: number; gapMs: number; message: string }[];
}

async function probe(floor: RelayProcess, method: "GET" | "POST"): Promise<ProbeResult> {
  const query = new URLSearchParams({
    n: String(N),
    gap_ms: String(FIRST_GAP_MS),
    step_ms: String(STEP_MS),
    period: String(PERIOD),
    method,
  });
  const response = await fetch(`${floor.url}/upstream-probe?${query}`, { signal: AbortSignal.timeout(400_000) });
  if (!response.ok) throw new Error(`probe: ${response.status} ${await response.text()}`);
  return (await response.json()) as ProbeResult;
}

/** Runs probes side by side, this process's event loop kept busy meanwhile if `blockMs` > 0. */
async function probes(runs: readonly { floor: RelayProcess; method: "GET" | "POST" }[], blockMs: number) {
  const stop = busyEventLoop(blockMs);
  try {
    return await Promise.all(runs.map((run) => probe(run.floor, run.method)));
  } finally {
    stop();
  }
}

async function startPair(keepAliveTimeoutMs: number): Promise<{ upstream: FakeAimlapi; floor: RelayProcess }> {
  const upstream = await startFakeAimlapi({ apiKey: TEST_UPSTREAM_KEY, hangMs: 20_000, keepAliveTimeoutMs });
  onCleanup(() => upstream.close());
  const floor = await startRelay({ vars: { UPSTREAM_URL: upstream.url }, config: "bench/floor/wrangler.jsonc" });
  onCleanup(() => floor.stop());
  return { upstream, floor };
}

runBench("keepalive-race", 900_000, async () => {
  console.log(
    `${N} requests in a row per run, gaps ${FIRST_GAP_MS} → ${FIRST_GAP_MS + (PERIOD - 1) * STEP_MS} ms ` +
      `(${STEP_MS} ms apart, ${N / PERIOD} times) around the fake's idle close at ${CLOSE_MS} ms ` +
      `(keepAliveTimeout ${KEEPALIVE_MS} + Node's keepAliveTimeoutBuffer ${CLOSE_BUFFER_MS}); load average ${loadAverage()}`,
  );
  // One fake and one floor Worker per run, so each run has its own connection pool and server.
  const closing = [await startPair(KEEPALIVE_MS), await startPair(KEEPALIVE_MS), await startPair(KEEPALIVE_MS)];
  const control = await startPair(NEVER_MS);
  const busy = `fake busy ${BLOCK_MS} of every ${2 * BLOCK_MS} ms`;
  const [a, b, c] = closing;
  if (a === undefined || b === undefined || c === undefined) throw new Error("unreachable");
  // The three under load side by side (they share this process's event loop), then the idle one alone.
  const loaded = await probes(
    [
      { floor: a.floor, method: "POST" },
      { floor: b.floor, method: "GET" },
      { floor: control.floor, method: "POST" },
    ],
    BLOCK_MS,
  );
  const [idle] = await probes([{ floor: c.floor, method: "POST" }], 0);
  const results: [string, ProbeResult | undefined][] = [
    [`keep-alive ${KEEPALIVE_MS} ms, ${busy}, POST`, loaded[0]],
    [`keep-alive ${KEEPALIVE_MS} ms, ${busy}, GET`, loaded[1]],
    [`no idle close (control, the fake's default), ${busy}, POST`, loaded[2]],
    [`keep-alive ${KEEPALIVE_MS} ms, fake idle, POST`, idle],
  ];
  const rows: string[][] = [];
  const messages = new Map<string, number>();
  for (const [label, result] of results) {
    if (result === undefined) continue;
    for (const f of result.failures) messages.set(f.message, (messages.get(f.message) ?? 0) + 1);
    const gaps = result.failures.map((f) => f.gapMs - CLOSE_MS).sort((x, y) => x - y);
    rows.push([label, String(result.n), String(result.failed), gaps.length === 0 ? "-" : gaps.join(" ")]);
  }
  printHeading("Requests over a pooled connection, the gap before each swept across the server's idle close");
  printTable(["run", "requests", "failed", "gap − idle close of each failure, ms"], rows);
  for (const [message, count] of messages) console.log(`  ${count} × "${message}"`);
  console.log(`load average at the end: ${loadAverage()}`);
});
