/**
 * Shared set-up for the benchmarks: the fake AI/ML API and the webhook
 * receiver run in this process, the relay runs under `wrangler dev` (real
 * workerd, Durable Objects, alarms, local R2), all on 127.0.0.1.
 *
 * The benchmarks print figures; they assert nothing about time, because wall
 * time on a shared 2-core machine says more about the machine than the relay.
 *
 * Everything here is bounded: every wait has a deadline, every bench has an
 * overall time limit, and the relay and servers are closed on the way out,
 * including on SIGINT/SIGTERM.
 *
 * Erasable TypeScript only, so `node bench/<name>.ts` runs it directly.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { delimiter, dirname } from "node:path";
import { parseArgs } from "node:util";
import type { Generation, TimelineEvent } from "../src/api/schemas.ts";
import { startFakeAimlapi, type FakeAimlapi, type FakeStats } from "../test/support/fake-aimlapi.ts";
import { startWebhookReceiver, type Delivery, type WebhookReceiver } from "../test/support/webhook-receiver.ts";
import { startRelay, testRelayVars, type RelayProcess } from "../test/support/relay-process.ts";
import { TEST_CLIENT_KEYS, TEST_UPSTREAM_KEY, TEST_WEBHOOK_SECRET } from "../test/support/constants.ts";

export type { Generation, TimelineEvent };

// `node_modules/.bin/wrangler` starts with `#!/usr/bin/env node`: put the Node
// running this script first on PATH, so wrangler never picks up an older system
// Node when the bench is started as `node_modules/.bin/node bench/x.ts`.
process.env["PATH"] = `${dirname(process.execPath)}${delimiter}${process.env["PATH"] ?? ""}`;

export const CLIENT_KEY = TEST_CLIENT_KEYS.alice;
export const AUTH = { Authorization: `Bearer ${CLIENT_KEY}` } as const;
const TERMINAL = new Set(["completed", "failed", "canceled"]);

// ---------------------------------------------------------------------------
// Command-line options

/**
 * `--name value` options as positive numbers, with defaults. A bad or unknown
 * option prints the usage and exits: called at start-up, before anything runs.
 */
export function numberOptions<K extends string>(defaults: Record<K, number>): Record<K, number> {
  const names = Object.keys(defaults) as K[];
  const usage = `usage: node ${process.argv[1] ?? "bench/<name>.ts"} ${names.map((n) => `[--${n} ${defaults[n]}]`).join(" ")}`;
  const spec: Record<string, { type: "string" }> = {};
  for (const name of names) spec[name] = { type: "string" };
  const out = { ...defaults };
  try {
    const { values } = parseArgs({ options: spec, strict: true, allowPositionals: false });
    for (const name of names) {
      const raw = values[name];
      if (typeof raw !== "string") continue;
      const n = Number(raw);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${raw}`);
      out[name] = n;
    }
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${usage}`);
    process.exit(2);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Lifetime: clean-up on every way out

const cleanups: (() => Promise<void>)[] = [];
let cleaning: Promise<void> | null = null;

/** Registers a clean-up; they run last-in first-out, once, whatever happens. */
export function onCleanup(fn: () => Promise<void>): void {
  cleanups.push(fn);
}

function cleanupAll(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length > 0) {
      const fn = cleanups.pop();
      // One failing clean-up must not leave the others (and so a workerd) behind.
      await fn?.().catch((err: unknown) => console.error("cleanup failed:", err));
    }
  })();
  return cleaning;
}

let signalled = false;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  // `on`, not `once`: a second Ctrl-C while stopping must not kill us before
  // wrangler is stopped (that would orphan workerd).
  process.on(signal, () => {
    if (signalled) return;
    signalled = true;
    console.error(`\n${signal}: stopping the relay and servers…`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

/**
 * Runs a bench body with everything closed afterwards, and a hard time limit
 * so a hung relay can never hold the run open.
 */
export function runBench(name: string, limitMs: number, body: () => Promise<void>): void {
  const started = Date.now();
  const limit = setTimeout(() => {
    console.error(`${name}: over its ${limitMs / 1000} s limit, stopping`);
    void cleanupAll().finally(() => process.exit(2));
  }, limitMs);
  limit.unref();
  void body()
    .then(
      () => {
        console.log(`\n(${name} took ${((Date.now() - started) / 1000).toFixed(1)} s)`);
        return 0;
      },
      (err: unknown) => {
        console.error(`${name} failed:`, err);
        return 1;
      },
    )
    .then(async (code) => {
      await cleanupAll();
      clearTimeout(limit);
      process.exit(code);
    });
}

// ---------------------------------------------------------------------------
// The servers and the relay

export interface Bench {
  upstream: FakeAimlapi;
  receiver: WebhookReceiver;
  relay: RelayProcess;
}

/**
 * Starts the fake upstream, the receiver and the relay pointing at them.
 * `vars` override the defaults (POLL_INTERVAL_SECONDS 0.2, private webhooks allowed).
 */
export async function startBench(vars: Record<string, string> = {}): Promise<Bench> {
  // hangMs is short so a `hang` fault can never outlive the bench.
  const upstream = await startFakeAimlapi({ apiKey: TEST_UPSTREAM_KEY, hangMs: 20_000 });
  onCleanup(() => upstream.close());
  const receiver = await startWebhookReceiver({ hangMs: 20_000, secret: TEST_WEBHOOK_SECRET });
  onCleanup(() => receiver.close());
  const relay = await startRelay({
    vars: testRelayVars(upstream.url, { WEBHOOK_RETRY_SCHEDULE_SECONDS: "0.2,0.2,0.2", ...vars }),
  });
  onCleanup(() => relay.stop());
  return { upstream, receiver, relay };
}

// ---------------------------------------------------------------------------
// Talking to the relay

async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export async function createGeneration(relay: RelayProcess, body: Record<string, unknown>): Promise<Generation> {
  const response = await fetch(`${relay.url}/v1/generations`, {
    method: "POST",
    headers: { ...AUTH, "Content-Type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status !== 202) throw new Error(`create: ${response.status} ${await response.text()}`);
  return (await response.json()) as Generation;
}

export function getGeneration(relay: RelayProcess, id: string): Promise<Generation> {
  return getJson<Generation>(`${relay.url}/v1/generations/${id}`, AUTH);
}

/** Polls GET /v1/generations/{id} every `everyMs` until terminal; throws after `timeoutMs`. */
export async function waitForTerminal(
  relay: RelayProcess,
  id: string,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<Generation> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const generation = await getGeneration(relay, id);
    if (TERMINAL.has(generation.status)) return generation;
    if (Date.now() > deadline) throw new Error(`${id} still ${generation.status} after ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/** Creates and waits; a generation that does not complete is an error (its figures would mislead). */
export async function runToCompletion(
  relay: RelayProcess,
  body: Record<string, unknown>,
  timeoutMs = 60_000,
): Promise<Generation> {
  const created = await createGeneration(relay, body);
  const done = await waitForTerminal(relay, created.id, timeoutMs);
  if (done.status !== "completed") throw new Error(`${done.id} ended ${done.status}: ${JSON.stringify(done.error)}`);
  return done;
}

export async function events(relay: RelayProcess, id: string): Promise<TimelineEvent[]> {
  return (await getJson<{ data: TimelineEvent[] }>(`${relay.url}/v1/generations/${id}/events`, AUTH)).data;
}

/** What the fake upstream saw for one exact prompt (directives included). */
export function upstreamStats(upstream: FakeAimlapi, prompt: string): Promise<FakeStats> {
  return getJson<FakeStats>(`${upstream.url}/__stats?prompt=${encodeURIComponent(prompt)}`);
}

/** Waits until the receiver has `count` deliveries on `path`. */
export async function deliveriesTo(
  receiver: WebhookReceiver,
  path: string,
  count: number,
  timeoutMs = 30_000,
): Promise<Delivery[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await getJson<Delivery[]>(`${receiver.url}/__deliveries?path=${encodeURIComponent(path)}`);
    if (seen.length >= count) return seen;
    if (Date.now() > deadline)
      throw new Error(`${seen.length} of ${count} deliveries to ${path} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** A prompt unique to this run (the fake counts per exact prompt text). */
export function uniquePrompt(label: string, directives = ""): string {
  const marker = directives === "" ? "" : ` [[fake ${directives}]]`;
  return `bench ${label} ${crypto.randomUUID()}${marker}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Keeps this process's event loop (the fake's) busy `blockMs` out of every
 * `2 × blockMs`, as a fake sharing its process with a load generator is, until the
 * returned function is called (for the keep-alive experiment, docs/benchmarks.md).
 */
export function busyEventLoop(blockMs: number): () => void {
  if (blockMs <= 0) return () => undefined;
  const timer = setInterval(() => {
    const until = performance.now() + blockMs;
    while (performance.now() < until) {
      // Spinning: nothing else in this process runs meanwhile, the fake's timers and reads included.
    }
  }, blockMs);
  return () => clearInterval(timer);
}

// ---------------------------------------------------------------------------
// Processes and memory (Linux /proc)

/** Every descendant of `root` (not `root` itself), read from /proc/<pid>/stat. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // The command name is in parentheses and may contain spaces or ")": split after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ppid = Number(fields[1]);
    const list = children.get(ppid);
    if (list === undefined) children.set(ppid, [Number(entry)]);
    else list.push(Number(entry));
  }
  const out: number[] = [];
  const queue = [root];
  // Bounded: a PID appears once in /proc, so the walk ends.
  while (queue.length > 0 && out.length < 10_000) {
    const pid = queue.shift();
    if (pid === undefined) break;
    for (const child of children.get(pid) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

export interface ProcessMemory {
  pid: number;
  name: string;
  rssBytes: number;
  /** Anonymous memory (heap, buffers): what a streaming copy must keep bounded. */
  anonBytes: number;
  /** File-backed pages (mapped binaries, mmapped files): RSS the kernel can drop. */
  fileBytes: number;
}

/** Name and VmRSS of a process, or null if it has gone (or is a zombie with no memory line). */
export function processMemory(pid: number): ProcessMemory | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return null;
  }
  const name = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? "?";
  const kb = (field: string): number | undefined => {
    const value = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, "m").exec(status)?.[1];
    return value === undefined ? undefined : Number(value) * 1024;
  };
  const rss = kb("VmRSS");
  if (rss === undefined) return null;
  return {
    pid,
    name,
    rssBytes: rss,
    anonBytes: kb("RssAnon") ?? 0,
    fileBytes: (kb("RssFile") ?? 0) + (kb("RssShmem") ?? 0),
  };
}

/** The kernel's clock ticks per second for /proc CPU times (USER_HZ): 100 on every mainstream Linux. */
export const CLOCK_TICKS_PER_SECOND = 100;

/** A process's command name and the user + system CPU ticks it has used so far (all its threads); null if gone. */
export function processTicks(pid: number): { name: string; ticks: number } | null {
  return statTicks(`/proc/${pid}/stat`);
}

/** The command name and user + system ticks in a /proc stat file (a process's or a thread's), or null when it is gone. */
function statTicks(path: string): { name: string; ticks: number } | null {
  let stat: string;
  try {
    stat = readFileSync(path, "utf8");
  } catch {
    return null;
  }
  // Fields after the command name: state is field 3, utime 14, stime 15 (proc(5)).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
  return { name, ticks: Number(fields[11] ?? 0) + Number(fields[12] ?? 0) };
}

/** The video the fake upstream serves (the simulator's sample): what the floor+io copies into R2. */
export const SAMPLE_VIDEO_BYTES = statSync(new URL("../public/simulator/sample.mp4", import.meta.url)).size;
/** The relay's lifecycle lines per generation that the floor does not write itself (it writes two): floor+io's `logs=`. */
export const RELAY_EXTRA_LOG_LINES = 5;
/** The relay's alarm runs per generation on the fake's default steps: the submit and 5 polls (the copy rides on the last). */
export const ALARMS_PER_GENERATION = 6;

/**
 * The floor's create query (bench/floor/worker.ts): bare, with the index
 * hop, or (`io`) doing the I/O a relay's generation needs besides: the index
 * hop, one upstream request per alarm run, the copy of the video into R2 and
 * as many log lines as the relay writes. `logs` adds lines to a floor without io.
 */
export function floorQuery(kind: "floor" | "floor+index" | "floor+io", intervalMs: number, logs = 0): string {
  const io = kind === "floor+io";
  return new URLSearchParams({
    alarms: String(ALARMS_PER_GENERATION),
    interval_ms: String(intervalMs),
    index: kind === "floor" ? "0" : "1",
    logs: String(io ? RELAY_EXTRA_LOG_LINES : logs),
    fetch: io ? "1" : "0",
    copy: String(io ? SAMPLE_VIDEO_BYTES : 0),
  }).toString();
}

/** One thread's CPU so far: its process's pid and command name, and milliseconds used. */
export interface ThreadCpu {
  pid: number;
  name: string;
  ms: number;
}

/**
 * CPU milliseconds used so far by every thread of `root` and the processes
 * below it, keyed "pid/tid" (a thread that ended is missing). A Worker's
 * isolates and Durable Objects run on one workerd thread under `wrangler dev`,
 * so the busiest thread says whether that thread's CPU is what bounds a run.
 */
export function treeThreadCpu(root: number): Map<string, ThreadCpu> {
  const out = new Map<string, ThreadCpu>();
  for (const pid of [root, ...descendants(root)]) {
    const name = processTicks(pid)?.name;
    if (name === undefined) continue;
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // exited while we looked
    }
    for (const tid of tids) {
      const thread = statTicks(`/proc/${pid}/task/${tid}/stat`); // null: the thread ended while we looked
      if (thread !== null) out.set(`${pid}/${tid}`, { pid, name, ms: (thread.ticks * 1000) / CLOCK_TICKS_PER_SECOND });
    }
  }
  return out;
}

/** Each thread's CPU between two `treeThreadCpu` readings, busiest first. */
export function threadCpuDelta(
  before: ReadonlyMap<string, ThreadCpu>,
  after: ReadonlyMap<string, ThreadCpu>,
): ThreadCpu[] {
  return [...after].map(([key, t]) => ({ ...t, ms: t.ms - (before.get(key)?.ms ?? 0) })).sort((x, y) => y.ms - x.ms);
}

/**
 * CPU milliseconds used so far by `root` and every process below it (for
 * `wrangler dev`: wrangler's Node, its esbuild and its workerd), by command
 * name. A process that exits between two readings takes its ticks with it, so
 * compare readings over a window in which the tree does not change.
 */
export function treeCpuMs(root: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of [root, ...descendants(root)]) {
    const p = processTicks(pid);
    if (p !== null) out.set(p.name, (out.get(p.name) ?? 0) + (p.ticks * 1000) / CLOCK_TICKS_PER_SECOND);
  }
  return out;
}

/** `after - before`, name by name (a name missing from `before` counts from 0). */
export function cpuDelta(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): Map<string, number> {
  return new Map([...after].map(([name, ms]) => [name, ms - (before.get(name) ?? 0)]));
}

/** The sum of a by-name CPU reading. */
export const cpuTotal = (cpu: ReadonlyMap<string, number>): number => [...cpu.values()].reduce((a, b) => a + b, 0);

/** `/proc/loadavg`'s 1, 5 and 15 minute figures, e.g. "0.52 0.91 0.66". */
export function loadAverage(): string {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    return "unknown";
  }
}

/**
 * Counts lines of a growing log (a relay's `logs()`) that contain each of
 * some markers, reading only what was added since the last call.
 */
export class LogCounter {
  private offset = 0;
  private readonly counts = new Map<string, number>();
  private readonly read: () => string;
  private readonly markers: readonly string[];

  constructor(read: () => string, markers: readonly string[]) {
    this.read = read;
    this.markers = markers;
  }

  /** How many lines so far contain `marker` (one of the markers given). */
  count(marker: string): number {
    const text = this.read();
    const end = text.lastIndexOf("\n") + 1;
    if (end > this.offset) {
      for (const line of text.slice(this.offset, end).split("\n")) {
        for (const m of this.markers) if (line.includes(m)) this.counts.set(m, (this.counts.get(m) ?? 0) + 1);
      }
      this.offset = end;
    }
    return this.counts.get(marker) ?? 0;
  }
}

// ---------------------------------------------------------------------------
// Statistics and printing

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Nearest-rank percentile (p in 0..100) of unsorted values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? Number.NaN;
}

export function summary(values: readonly number[]): { mean: number; min: number; max: number } {
  return {
    mean: mean(values),
    min: values.length === 0 ? Number.NaN : Math.min(...values),
    max: values.length === 0 ? Number.NaN : Math.max(...values),
  };
}

/** A number for a table: integers as-is, others to `digits` decimals. */
export function fmt(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return "-";
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}

/** A table row `[label, mean, min, max]` of `values`, each to its number of decimals. */
export function meanMinMaxRow(
  label: string,
  values: readonly number[],
  digits: { mean: number; extremes: number } = { mean: 1, extremes: 1 },
): string[] {
  const s = summary(values);
  return [label, fmt(s.mean, digits.mean), fmt(s.min, digits.extremes), fmt(s.max, digits.extremes)];
}

export const MiB = 1024 * 1024;

export function printHeading(text: string): void {
  console.log(`\n${text}\n${"-".repeat(text.length)}`);
}

/** Left-aligned first column, right-aligned numbers, padded to the widest cell. */
export function printTable(headers: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ");
  console.log(line(headers));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) console.log(line(row));
}

/** One named figure per line: `name ........ value unit  (note)`. */
export function printFigure(name: string, value: number | string, unit = "", note = ""): void {
  const shown = typeof value === "number" ? fmt(value) : value;
  const tail = note === "" ? "" : `  (${note})`;
  console.log(`${`${name} `.padEnd(34, ".")} ${shown}${unit === "" ? "" : ` ${unit}`}${tail}`);
}
