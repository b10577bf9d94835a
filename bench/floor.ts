/**
 * The relay against its floor, in the same run: the relay under `wrangler dev`
 * and the floor Worker (bench/floor/, the least a create needs: one Durable
 * Object per create, one SQLite row, one alarm) under the same `wrangler dev`,
 * workerd and machine, measured in alternating rounds, so the machine's load
 * at the time weighs on both alike. Prints relay/floor ratios.
 *
 *   node bench/floor.ts [--rounds 3] [--seconds 10] [--loops 8] [--cpu-seconds 5] [--cpu-rounds 2]
 *
 * Two phases, each with its own relay:
 *
 *  - polling in the window: POLL_INTERVAL_SECONDS 0.2 (the tests' setting);
 *    every generation runs to the end (submit, 5 polls, the copy into R2) on
 *    the local fake upstream, and the floor's does 6 alarm runs 200 ms apart;
 *  - polling pushed out of it: POLL_INTERVAL_SECONDS 3600, so a generation
 *    costs its create and its submit only (the floor: its create and its first
 *    alarm run).
 *
 * In each phase, per target (relay; floor; floor with the index hop; and
 * floor+io, the floor doing the I/O a generation needs besides: the index hop,
 * an upstream request per alarm run, the video's copy into R2 and the relay's
 * number of log lines, so relay/(floor+io) is what the relay's own work costs
 * on top of the runtime's I/O):
 *
 *  - throughput: `--loops` client loops creating back to back for `--seconds`,
 *    `--rounds` rounds, the targets' order rotated each round; creates/s,
 *    p50/p95 latency, and server CPU per create under that load;
 *  - CPU per create with one loop (`--cpu-seconds`, `--cpu-rounds` rounds),
 *    with its latency.
 *
 * Server CPU is the user + system ticks of `wrangler dev` and every process
 * below it (workerd) from /proc, from the start of a window until every
 * generation created in it has done its work (the relay's `generation.settled`
 * or `generation.submitted` log lines, the floor's `floor.done` or
 * `floor.submitted`), less the tree's idle rate measured first. Ticks are
 * 10 ms, so one-loop figures carry ±10 ms over the whole window, a few
 * hundredths of a millisecond per create.
 *
 * Last, what a single Durable Object sustains here: `--loops` clients (then
 * one) each sending requests that write one row in the floor's one index
 * object, `--rounds` windows of `--seconds`; and what a log line costs under
 * `wrangler dev`: the floor's create with as many more JSON lines as the relay
 * logs per generation, against none.
 *
 * `BENCH_SERVER=lean node bench/floor.ts` runs every target on the same
 * runtime without wrangler dev's tooling (test/support/lean-dev-server.ts: no
 * inspector, log lines straight to stdout), to tell what that tooling costs
 * each target from what the Worker itself costs.
 *
 * `BENCH_FLOOR=front node bench/floor.ts` runs the floor targets with what
 * stands in front of the relay's create here (bench/floor/wrangler.front.jsonc:
 * the assets layer routing each request, a rate limiter asked per create),
 * so relay/floor is read without those two, which on Cloudflare are not the
 * Worker's CPU.
 *
 * Everything on 127.0.0.1; no keys, no network; bounded (each wait has a
 * deadline, the whole bench a time limit); the servers stop on every way out.
 */
import { startFakeAimlapi, type FakeAimlapi } from "../test/support/fake-aimlapi.ts";
import { startRelay, testRelayVars, type RelayProcess } from "../test/support/relay-process.ts";
import { TEST_UPSTREAM_KEY } from "../test/support/constants.ts";
import {
  AUTH,
  LogCounter,
  cpuDelta,
  cpuTotal,
  floorQuery,
  fmt,
  loadAverage,
  numberOptions,
  onCleanup,
  percentile,
  printHeading,
  printTable,
  runBench,
  sleep,
  treeCpuMs,
} from "./lib.ts";

/** "wrangler dev" (the default), or the same runtime without its tooling (BENCH_SERVER=lean). */
const SERVER = process.env.BENCH_SERVER === "lean" ? "lean" : "wrangler dev";
/** The floor as it is (the default), or with the relay's front: the assets layer and a rate limiter (BENCH_FLOOR=front). */
const FLOOR_FRONT = process.env.BENCH_FLOOR === "front";
const options = numberOptions({ rounds: 3, seconds: 10, loops: 8, "cpu-seconds": 5, "cpu-rounds": 2 });
const ROUNDS = Math.max(1, Math.floor(options.rounds));
const WINDOW_MS = options.seconds * 1000;
const LOOPS = Math.max(1, Math.floor(options.loops));
const CPU_WINDOW_MS = options["cpu-seconds"] * 1000;
const CPU_ROUNDS = Math.max(1, Math.floor(options["cpu-rounds"]));

/** The tests' poll interval, and one that puts every poll past the end of the bench. */
const POLL_IN_WINDOW_MS = 200;
const POLL_OUT_OF_WINDOW_MS = 3_600_000;
/** Longest wait for the work a window started to finish. */
const SETTLE_LIMIT_MS = 60_000;

interface Phase {
  name: string;
  /** What "done" means for a generation in this phase. */
  doneWhen: "settled" | "submitted";
  pollMs: number;
}

const PHASES: readonly Phase[] = [
  { name: "polling in the window (every generation runs to the end)", doneWhen: "settled", pollMs: POLL_IN_WINDOW_MS },
  {
    name: "polling pushed out of the window (accept + submit only)",
    doneWhen: "submitted",
    pollMs: POLL_OUT_OF_WINDOW_MS,
  },
];

type TargetName = "relay" | "floor" | "floor+index" | "floor+io";
const TARGETS: readonly TargetName[] = ["relay", "floor", "floor+index", "floor+io"];
/**
 * Durable Objects left idle are evicted about 10 s after their last use, and
 * that work (a burst in workerd) belongs to the creates that made them: every
 * target's CPU is read up to its next window's start, and a phase ends with
 * this long a wait before the last reading.
 */
const TAIL_MS = 12_000;
/**
 * Each tree's idle CPU rate (wrangler's timers, esbuild's file watching) is
 * the lowest of a few short readings, so one burst (a GC, an eviction) in one
 * of them does not count as idle.
 */
const IDLE_MS = 2_000;
const IDLE_READINGS = 3;

/** One `wrangler dev` (its own process tree, so its CPU is its own) and how to create on it. */
interface Target {
  name: TargetName;
  process: RelayProcess;
  /** The create request: URL and init. */
  request(): { url: string; init: RequestInit };
  /** How many generations have done their work so far. */
  done(): number;
  /** False for a target whose requests leave no work behind (a window need not wait for it). */
  awaitsWork: boolean;
  /** The tree's CPU ms per second with nothing asked of it, by process name. */
  idleCpuMsPerS: Map<string, number>;
  /** The reading where this target's current CPU interval began, and when. */
  mark: { cpu: Map<string, number>; at: number } | null;
}

interface Window {
  loops: number;
  creates: number;
  errors: Map<string, number>;
  latenciesMs: number[];
  elapsedMs: number;
  /** Whether every generation created was seen done before SETTLE_LIMIT_MS. */
  settled: boolean;
  /**
   * Server CPU by process name, from this window's start to the target's next
   * window (or the phase's tail), less the idle rate; set when that next reading is taken.
   */
  cpu: Map<string, number> | null;
}

function relayTarget(process: RelayProcess, phase: Phase): Target {
  const marker = phase.doneWhen === "settled" ? '"generation.settled"' : '"generation.submitted"';
  const counter = new LogCounter(() => process.logs(), [marker]);
  return {
    name: "relay",
    process,
    request: () => ({
      url: `${process.url}/v1/generations`,
      init: {
        method: "POST",
        headers: { ...AUTH, "Content-Type": "application/json" },
        body: JSON.stringify({ prompt: `bench floor ${crypto.randomUUID()}` }),
      },
    }),
    done: () => counter.count(marker),
    awaitsWork: true,
    idleCpuMsPerS: new Map(),
    mark: null,
  };
}

/** The floor's create (lib.ts floorQuery) as a target, done at its first or its last alarm run. */
function floorTarget(
  process: RelayProcess,
  phase: Phase,
  kind: "floor" | "floor+index" | "floor+io",
  logs = 0,
): Target {
  const marker = phase.doneWhen === "settled" ? "floor.done " : "floor.submitted ";
  const counter = new LogCounter(() => process.logs(), [marker]);
  const query = floorQuery(kind, phase.pollMs, logs);
  return {
    name: kind,
    process,
    request: () => ({
      url: `${process.url}/create?${query}`,
      init: {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ prompt: `bench floor ${crypto.randomUUID()}` }),
      },
    }),
    done: () => counter.count(marker),
    awaitsWork: true,
    idleCpuMsPerS: new Map(),
    mark: null,
  };
}

function cpuNow(target: Target): Map<string, number> {
  const pid = target.process.pid();
  if (pid === null) throw new Error(`${target.name}: wrangler is not running`);
  return treeCpuMs(pid);
}

/** Closes the target's open CPU interval into `window` (idle rate removed) and opens the next one. */
function takeReading(target: Target, window: Window | undefined): void {
  const cpu = cpuNow(target);
  const at = Date.now();
  if (window !== undefined && target.mark !== null) {
    const seconds = (at - target.mark.at) / 1000;
    const delta = cpuDelta(target.mark.cpu, cpu);
    for (const [name, ms] of delta) delta.set(name, ms - (target.idleCpuMsPerS.get(name) ?? 0) * seconds);
    window.cpu = delta;
  }
  target.mark = { cpu, at };
}

/** Every tree's CPU rate at rest, by process, measured side by side: the lowest of IDLE_READINGS readings. */
async function measureIdle(targets: readonly Target[]): Promise<void> {
  for (const t of targets) t.idleCpuMsPerS = new Map();
  for (let reading = 0; reading < IDLE_READINGS; reading++) {
    const before = targets.map(cpuNow);
    await sleep(IDLE_MS);
    targets.forEach((t, i) => {
      for (const [name, ms] of cpuDelta(before[i] ?? new Map(), cpuNow(t))) {
        const rate = (ms / IDLE_MS) * 1000;
        t.idleCpuMsPerS.set(name, Math.min(rate, t.idleCpuMsPerS.get(name) ?? rate));
      }
    });
  }
}

/** `loops` clients creating back to back for `windowMs`; then waits for the work they started. */
async function runWindow(target: Target, loops: number, windowMs: number): Promise<Window> {
  const doneBefore = target.done();
  const started = Date.now();
  const end = started + windowMs;
  const latenciesMs: number[] = [];
  const errors = new Map<string, number>();
  await Promise.all(
    Array.from({ length: loops }, async () => {
      while (Date.now() < end) {
        const { url, init } = target.request();
        const sent = performance.now();
        try {
          const response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
          await response.arrayBuffer();
          if (response.status === 202 || response.status === 200) latenciesMs.push(performance.now() - sent);
          else errors.set(`HTTP ${response.status}`, (errors.get(`HTTP ${response.status}`) ?? 0) + 1);
        } catch (err) {
          const name = err instanceof Error ? err.name : "error";
          errors.set(name, (errors.get(name) ?? 0) + 1);
        }
      }
    }),
  );
  const elapsedMs = Date.now() - started;
  const creates = latenciesMs.length;
  const settleBy = Date.now() + SETTLE_LIMIT_MS;
  while (target.awaitsWork && target.done() - doneBefore < creates && Date.now() < settleBy) await sleep(50);
  const settled = !target.awaitsWork || target.done() - doneBefore >= creates;
  return { loops, creates, errors, latenciesMs, elapsedMs, settled, cpu: null };
}

const median = (values: readonly number[]): number => percentile(values, 50);
const rate = (w: Window): number => w.creates / (w.elapsedMs / 1000);
const cpuPerCreate = (w: Window): number =>
  w.creates === 0 || w.cpu === null ? Number.NaN : cpuTotal(w.cpu) / w.creates;

/** `median [min–max]` of per-round figures. */
function spread(values: readonly number[], digits = 1): string {
  if (values.length === 1) return fmt(values[0] ?? Number.NaN, digits);
  return `${fmt(median(values), digits)} [${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)}]`;
}

function errorText(windows: readonly Window[]): string {
  const all = new Map<string, number>();
  for (const w of windows) for (const [k, v] of w.errors) all.set(k, (all.get(k) ?? 0) + v);
  const unsettled = windows.filter((w) => !w.settled).length;
  const parts = [...all].map(([k, v]) => `${k} ×${v}`);
  if (unsettled > 0) parts.push(`${unsettled} window(s) not settled within ${SETTLE_LIMIT_MS / 1000} s`);
  return parts.join(", ");
}

interface PhaseResult {
  phase: Phase;
  loadStart: string;
  loadEnd: string;
  idle: Map<TargetName, number>;
  throughput: Map<TargetName, Window[]>;
  oneLoop: Map<TargetName, Window[]>;
}

async function runPhase(phase: Phase, targets: readonly Target[]): Promise<PhaseResult> {
  printHeading(`Phase: ${phase.name}`);
  const loadStart = loadAverage();
  console.log(`load average at the start: ${loadStart}`);
  // Warm-up: the isolate, the keyring, the client index, a first alarm; then their objects' eviction.
  for (const target of targets) await runWindow(target, 2, 1_500);
  await sleep(TAIL_MS);
  await measureIdle(targets);
  console.log(
    `idle CPU, ms/s: ${targets.map((t) => `${t.name} ${fmt(cpuTotal(t.idleCpuMsPerS), 1)}`).join(", ")} (subtracted below)`,
  );
  const throughput = new Map<TargetName, Window[]>(TARGETS.map((n) => [n, []]));
  const oneLoop = new Map<TargetName, Window[]>(TARGETS.map((n) => [n, []]));
  const last = new Map<TargetName, Window>();
  const measure = async (target: Target, loops: number, ms: number, into: Map<TargetName, Window[]>) => {
    takeReading(target, last.get(target.name));
    const w = await runWindow(target, loops, ms);
    into.get(target.name)?.push(w);
    last.set(target.name, w);
    return w;
  };
  /** Rotated each round, so no target always follows the same one. */
  const orderFor = (round: number): Target[] =>
    targets.map((_, i) => targets[(i + round) % targets.length]).filter((t) => t !== undefined);
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of orderFor(round)) {
      const w = await measure(target, LOOPS, WINDOW_MS, throughput);
      console.log(
        `  round ${round + 1} ${target.name.padEnd(11)} ${fmt(rate(w))} creates/s, ` +
          `p50 ${fmt(percentile(w.latenciesMs, 50))} ms${w.settled ? "" : " (not settled)"}  load ${loadAverage()}`,
      );
    }
  }
  for (let round = 0; round < CPU_ROUNDS; round++) {
    for (const target of orderFor(round)) {
      const w = await measure(target, 1, CPU_WINDOW_MS, oneLoop);
      console.log(
        `  one loop ${round + 1} ${target.name.padEnd(11)} ${w.creates} creates, ` +
          `p50 ${fmt(percentile(w.latenciesMs, 50))} ms  load ${loadAverage()}`,
      );
    }
  }
  await sleep(TAIL_MS);
  for (const target of targets) takeReading(target, last.get(target.name));
  const loadEnd = loadAverage();
  const idle = new Map(targets.map((t) => [t.name, cpuTotal(t.idleCpuMsPerS)]));
  return { phase, loadStart, loadEnd, idle, throughput, oneLoop };
}

function printPhase(result: PhaseResult): void {
  console.log(`\n${result.phase.name}; load average ${result.loadStart} at the start, ${result.loadEnd} at the end`);
  const get = (map: Map<TargetName, Window[]>, name: TargetName): Window[] => map.get(name) ?? [];
  const p50 = (w: Window): number => percentile(w.latenciesMs, 50);
  const p95 = (w: Window): number => percentile(w.latenciesMs, 95);
  const rows: string[][] = [];
  /** One figure: per-target spreads, relay/floor and (floor+index)/floor of the medians. */
  const row = (label: string, map: Map<TargetName, Window[]>, f: (w: Window) => number, digits: number): void => {
    const [relay = [], floor = [], indexed = [], io = []] = TARGETS.map((n) => get(map, n).map(f));
    const ratio = (a: number[], b: number[]): string => fmt(median(a) / median(b), 2);
    rows.push([
      label,
      spread(relay, digits),
      spread(floor, digits),
      ratio(relay, floor),
      spread(indexed, digits),
      ratio(indexed, floor),
      spread(io, digits),
      ratio(io, floor),
      ratio(relay, io),
    ]);
  };
  row(`creates/s, ${LOOPS} loops × ${WINDOW_MS / 1000} s`, result.throughput, rate, 1);
  row(`latency p50 ms, ${LOOPS} loops`, result.throughput, p50, 1);
  row(`latency p95 ms, ${LOOPS} loops`, result.throughput, p95, 1);
  row(`server CPU ms/create, ${LOOPS} loops`, result.throughput, cpuPerCreate, 1);
  row(`server CPU ms/create, 1 loop × ${CPU_WINDOW_MS / 1000} s`, result.oneLoop, cpuPerCreate, 1);
  row(`creates/s, 1 loop`, result.oneLoop, rate, 1);
  row(`latency p50 ms, 1 loop`, result.oneLoop, p50, 1);
  row(`latency p95 ms, 1 loop`, result.oneLoop, p95, 1);
  console.log("median [min–max] over the rounds; ratios are of the medians");
  printTable(
    [
      "figure",
      "relay",
      "floor",
      "relay/floor",
      "floor+index",
      "(floor+index)/floor",
      "floor+io",
      "(floor+io)/floor",
      "relay/(floor+io)",
    ],
    rows,
  );
  // Where each target's CPU went, over all its windows (each process's idle rate taken off).
  for (const name of TARGETS) {
    const windows = [...get(result.throughput, name), ...get(result.oneLoop, name)];
    const byProcess = new Map<string, number>();
    let creates = 0;
    for (const w of windows) {
      creates += w.creates;
      for (const [p, ms] of w.cpu ?? []) byProcess.set(p, (byProcess.get(p) ?? 0) + ms);
    }
    const split = [...byProcess]
      .sort((a, b) => b[1] - a[1])
      .map(([p, ms]) => `${p} ${fmt(ms / creates, 2)}`)
      .join(", ");
    const errors = errorText(windows);
    console.log(
      `${name}: CPU ms/create by process (all windows): ${split}; idle ${fmt(result.idle.get(name) ?? Number.NaN, 1)} ms/s` +
        (errors === "" ? "" : `; ${errors}`),
    );
  }
}

/** One row written per request in the one index object, nothing else: what a single Durable Object sustains. */
function singleObjectTarget(process: RelayProcess): Target {
  return {
    name: "floor+index",
    process,
    request: () => ({ url: `${process.url}/index-only`, init: { method: "POST" } }),
    done: () => 0,
    awaitsWork: false,
    idleCpuMsPerS: new Map(),
    mark: null,
  };
}

async function measureSingleObject(process: RelayProcess): Promise<void> {
  printHeading("A single Durable Object: one RPC writing one row per request (the floor's index object)");
  const target = singleObjectTarget(process);
  await runWindow(target, 2, 1_000);
  const rows: string[][] = [];
  for (const loops of [1, LOOPS]) {
    const windows: Window[] = [];
    // One window for one client (its latency is the figure), the rounds for the loaded case.
    for (let round = 0; round < (loops === 1 ? 1 : ROUNDS); round++)
      windows.push(await runWindow(target, loops, WINDOW_MS));
    rows.push([
      `${loops} loop${loops === 1 ? "" : "s"} × ${WINDOW_MS / 1000} s`,
      spread(windows.map(rate)),
      spread(windows.map((w) => percentile(w.latenciesMs, 50))),
      spread(windows.map((w) => percentile(w.latenciesMs, 95))),
      errorText(windows) === "" ? "0" : errorText(windows),
    ]);
  }
  printTable(["clients", "writes/s", "p50 ms", "p95 ms", "errors"], rows);
  console.log(`load average ${loadAverage()}`);
}

/** The relay's lifecycle log lines per generation so far (each generation logs `generation.created` once). */
function relayLogLinesPerGeneration(relay: RelayProcess): number {
  const lines = relay.logs().split("\n");
  const generations = lines.filter((l) => l.includes('"event":"generation.created"')).length;
  return lines.filter((l) => l.startsWith('{"level":')).length / Math.max(1, generations);
}

/**
 * What a log line costs under `wrangler dev` (workerd formats it, wrangler's
 * Node prints it): the floor's create, accept + first alarm only, with no
 * extra line and with `lines` more, one loop, one target at a time with its
 * own tail (both run on one floor process).
 */
async function measureLogCost(process: RelayProcess, lines: number): Promise<void> {
  printHeading(`What a log line costs: the floor's create with 0 and with ${lines} more JSON lines (1 loop)`);
  const phase = PHASES[1] ?? { name: "", doneWhen: "submitted", pollMs: POLL_OUT_OF_WINDOW_MS };
  const plain = floorTarget(process, phase, "floor", 0);
  const logged = floorTarget(process, phase, "floor", lines);
  await measureIdle([plain]);
  logged.idleCpuMsPerS = plain.idleCpuMsPerS;
  const results = new Map<Target, Window[]>([
    [plain, []],
    [logged, []],
  ]);
  for (let round = 0; round < CPU_ROUNDS; round++) {
    for (const target of round % 2 === 0 ? [plain, logged] : [logged, plain]) {
      takeReading(target, undefined);
      const w = await runWindow(target, 1, CPU_WINDOW_MS);
      await sleep(TAIL_MS);
      takeReading(target, w);
      results.get(target)?.push(w);
    }
  }
  const cpu = (t: Target): number[] => (results.get(t) ?? []).map(cpuPerCreate);
  printTable(
    ["floor create", "server CPU ms/create", "of which workerd", "of which wrangler's node"],
    [plain, logged].map((t) => {
      const windows = results.get(t) ?? [];
      const by = (name: string): number[] => windows.map((w) => (w.cpu?.get(name) ?? 0) / Math.max(1, w.creates));
      return [
        t === plain ? "no extra line" : `${lines} more lines`,
        spread(cpu(t)),
        spread(by("workerd")),
        spread(by("node")),
      ];
    }),
  );
  const perLine = (median(cpu(logged)) - median(cpu(plain))) / lines;
  console.log(`≈ ${fmt(perLine, 2)} ms of server CPU per log line; load average ${loadAverage()}`);
}

async function startFloor(upstream: FakeAimlapi): Promise<RelayProcess> {
  const floor = await startRelay({
    vars: { UPSTREAM_URL: upstream.url },
    config: FLOOR_FRONT ? "bench/floor/wrangler.front.jsonc" : "bench/floor/wrangler.jsonc",
    server: SERVER,
  });
  onCleanup(() => floor.stop());
  return floor;
}

async function startPhaseRelay(upstream: FakeAimlapi, phase: Phase): Promise<RelayProcess> {
  const relay = await startRelay({
    vars: testRelayVars(upstream.url, {
      POLL_INTERVAL_SECONDS: String(phase.pollMs / 1000),
      // Every create of the bench is one client's, and out of the window none of them ends.
      MAX_ACTIVE_PER_KEY: "1000000",
    }),
    server: SERVER,
  });
  onCleanup(() => relay.stop());
  return relay;
}

runBench("floor", 1_500_000, async () => {
  console.log(
    `relay vs floor under the same ${SERVER === "lean" ? "lean dev server (no inspector, logs straight to stdout)" : "wrangler dev"}; ${ROUNDS} rounds of ${LOOPS} loops × ${WINDOW_MS / 1000} s, ` +
      `${CPU_ROUNDS} of 1 loop × ${CPU_WINDOW_MS / 1000} s; ` +
      `${FLOOR_FRONT ? "floors with the relay's front (assets layer, rate limiter); " : ""}load average ${loadAverage()}`,
  );
  const upstream = await startFakeAimlapi({ apiKey: TEST_UPSTREAM_KEY, hangMs: 20_000 });
  onCleanup(() => upstream.close());
  // A floor per target, so each has its own process tree and so its own CPU reading.
  const floor = await startFloor(upstream);
  const indexedFloor = await startFloor(upstream);
  const ioFloor = await startFloor(upstream);
  const results: PhaseResult[] = [];
  let linesPerGeneration = 0;
  for (const phase of PHASES) {
    const relay = await startPhaseRelay(upstream, phase);
    const targets = [
      relayTarget(relay, phase),
      floorTarget(floor, phase, "floor"),
      floorTarget(indexedFloor, phase, "floor+index"),
      floorTarget(ioFloor, phase, "floor+io"),
    ];
    const result = await runPhase(phase, targets);
    results.push(result);
    printPhase(result);
    if (phase.doneWhen === "settled") {
      linesPerGeneration = relayLogLinesPerGeneration(relay);
      console.log(`relay: ${fmt(linesPerGeneration, 1)} log lines per generation (each a JSON object)`);
    }
    // Its pending alarms (out of the window: one per generation, an hour away) must not weigh on the next phase.
    await relay.stop();
  }
  await measureSingleObject(indexedFloor);
  await measureLogCost(floor, Math.max(1, Math.round(linesPerGeneration)));
  printHeading("Summary");
  for (const result of results) printPhase(result);
});
