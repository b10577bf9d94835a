/**
 * Where the relay's CPU goes: a V8 CPU profile of the Worker under
 * `wrangler dev` (through wrangler's inspector proxy, the DevTools protocol), taken
 * while it creates generations, and another while only alarms run.
 *
 *   node bench/profile.ts [--seconds 10] [--loops 4] [--generations 150] [--interval-us 200]
 *
 *  - create path: POLL_INTERVAL_SECONDS 3600, `--loops` clients creating for
 *    `--seconds`; the profile holds the Worker's create route, the client
 *    index's calls and each generation's `start` and first alarm (the submit);
 *  - the floor's create (bench/floor/, with its index hop) the same way, so
 *    what the runtime costs anyway can be told from what the relay adds;
 *  - alarm runs: POLL_INTERVAL_SECONDS 0.2; `--generations` creates are
 *    answered first, then the profile runs until every one has settled, so it
 *    holds their polls, copies into R2 and index updates (and any submits
 *    still queued when it started);
 *  - whole generations: `--generations` created 8 at a time and run to
 *    their end inside one profile, for the relay and for floor+io (the floor
 *    doing a generation's I/O: bench/lib.ts floorQuery), so the relay's JS
 *    thread per generation can be set against what that I/O costs anyway.
 *
 * The relay is bundled unminified for this (`--minify=false`), so frames carry
 * the source's function names; each is placed in its source file through
 * the bundle's source map when wrangler wrote one. Prints, per profile, the
 * top functions by self time and by total time (a function counted once per
 * sample however deep it recurs), and writes the `.cpuprofile` files (open
 * them in Chrome DevTools or speedscope) to a temporary directory.
 *
 * Everything on 127.0.0.1; bounded; the relay and fake stop on every way out.
 */
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startFakeAimlapi, type FakeAimlapi } from "../test/support/fake-aimlapi.ts";
import { REPO_ROOT, startRelay, testRelayVars, type RelayProcess } from "../test/support/relay-process.ts";
import { TEST_UPSTREAM_KEY } from "../test/support/constants.ts";
import {
  AUTH,
  LogCounter,
  floorQuery,
  fmt,
  loadAverage,
  numberOptions,
  onCleanup,
  printHeading,
  printTable,
  runBench,
  sleep,
} from "./lib.ts";

const options = numberOptions({ seconds: 10, loops: 4, generations: 150, "interval-us": 200, top: 25 });
const WINDOW_MS = options.seconds * 1000;
const LOOPS = Math.max(1, Math.floor(options.loops));
const GENERATIONS = Math.max(1, Math.floor(options.generations));
const TOP = Math.max(1, Math.floor(options.top));
/** How many of the top self-time entries get their callers and lines printed. */
const HOT = 12;

// ---------------------------------------------------------------------------
// The DevTools protocol over wrangler's inspector

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A DevTools session with the Worker's isolate. */
class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly socket: WebSocket;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
      if (message.id === undefined) return;
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error !== undefined) waiter?.reject(new Error(message.error.message));
      else waiter?.resolve(message.result);
    });
  }

  /**
   * Connects to the Worker through wrangler's inspector proxy (the port
   * `--inspector-port` gave it; workerd's own inspector serves only the one
   * session wrangler holds). The proxy wants an Origin on the loopback; Node's
   * WebSocket takes extra headers in undici's init object.
   */
  static async connect(port: number): Promise<Inspector> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        const list = (await (
          await fetch(`http://127.0.0.1:${port}/json`, { signal: AbortSignal.timeout(2_000) })
        ).json()) as { webSocketDebuggerUrl?: string }[];
        const url = list.find((t) => t.webSocketDebuggerUrl !== undefined)?.webSocketDebuggerUrl;
        if (url !== undefined) {
          const socket = new WebSocket(url, { headers: { Origin: "http://127.0.0.1" } } as unknown as string[]);
          await new Promise<void>((resolve, reject) => {
            socket.addEventListener("open", () => resolve(), { once: true });
            socket.addEventListener("error", () => reject(new Error(`inspector: cannot open ${url}`)), { once: true });
          });
          return new Inspector(socket);
        }
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`no inspector target on port ${port}`);
      await sleep(250);
    }
  }

  send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`inspector: ${method} timed out`)), 60_000);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.socket.close();
  }
}

async function profiled(relay: RelayProcess, intervalUs: number, body: () => Promise<void>): Promise<CpuProfile> {
  const inspector = await Inspector.connect(relay.inspectorPort());
  try {
    await inspector.send("Profiler.enable");
    await inspector.send("Profiler.setSamplingInterval", { interval: intervalUs });
    await inspector.send("Profiler.start");
    await body();
    const { profile } = await inspector.send<{ profile: CpuProfile }>("Profiler.stop");
    return profile;
  } finally {
    inspector.close();
  }
}

// ---------------------------------------------------------------------------
// Reading a profile

/** Finds where a bundled position came from, through the bundle's source map (wrangler writes one beside it). */
class SourceMapper {
  private readonly maps = new Map<string, { map: SourceMap; dir: string } | null>();

  /** The bundle map first found (copied beside the profile, since wrangler deletes its own on exit). */
  mapFile: string | null = null;

  /** Where the profiled `wrangler dev` writes its bundles (RelayProcess.bundleDir). */
  private readonly bundleDir: string;

  constructor(bundleDir: string) {
    this.bundleDir = bundleDir;
  }

  place(frame: CallFrame, line = frame.lineNumber, column = frame.columnNumber): string {
    const found = this.mapFor(frame.url);
    const entry = found?.map.findEntry(line, column);
    if (found && entry !== undefined && "originalSource" in entry && entry.originalSource !== undefined) {
      const source = entry.originalSource.startsWith("file://")
        ? fileURLToPath(entry.originalSource)
        : resolve(found.dir, entry.originalSource);
      const shown = source.includes("node_modules")
        ? source.slice(source.lastIndexOf("node_modules/") + "node_modules/".length)
        : relative(REPO_ROOT, source);
      return `${shown}:${entry.originalLine + 1}`;
    }
    if (frame.url === "") return "";
    return `${frame.url.split("/").at(-1) ?? frame.url}:${line + 1}`;
  }

  /** The map of a frame's script, and the folder its sources are relative to. */
  private mapFor(url: string): { map: SourceMap; dir: string } | null {
    if (this.maps.has(url)) return this.maps.get(url) ?? null;
    let found: { map: SourceMap; dir: string } | null = null;
    const path = url.startsWith("file://") ? fileURLToPath(url) : url;
    for (const candidate of [`${path}.map`, ...bundleMaps(this.bundleDir, path)]) {
      try {
        const raw = JSON.parse(readFileSync(candidate, "utf8")) as ConstructorParameters<typeof SourceMap>[0];
        found = { map: new SourceMap(raw), dir: dirname(candidate) };
        this.mapFile ??= candidate;
        break;
      } catch {
        // try the next
      }
    }
    this.maps.set(url, found);
    return found;
  }
}

/** wrangler dev's bundle maps in `bundleDir`, newest first, for a frame whose url is only a file name. */
function bundleMaps(bundleDir: string, name: string): string[] {
  const base = name.split("/").at(-1) ?? name;
  let dirs: string[];
  try {
    dirs = readdirSync(bundleDir);
  } catch {
    return [];
  }
  const found: { path: string; mtime: number }[] = [];
  for (const dir of dirs) {
    const path = join(bundleDir, dir, `${base}.map`);
    try {
      found.push({ path, mtime: statSync(path).mtimeMs });
    } catch {
      // not in this one
    }
  }
  return found.sort((a, b) => b.mtime - a.mtime).map((f) => f.path);
}

interface ProfileNodeFull extends ProfileNode {
  positionTicks?: { line: number; ticks: number }[];
}

interface Entry {
  name: string;
  where: string;
  selfMs: number;
  totalMs: number;
  /** Self time by immediate caller (`name where`). */
  callers: Map<string, number>;
  /** Samples by source line inside the function (V8's position ticks). */
  lines: Map<string, number>;
}

/**
 * Self and total time per function (name + place), from the samples, with
 * callers and hot lines; and total time per function name (every place of a
 * name together, counted once per sample however often it nests).
 */
export function summarize(
  profile: CpuProfile,
  mapper: SourceMapper,
): { entries: Entry[]; totalMs: number; byName: Map<string, { selfMs: number; totalMs: number }> } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n as ProfileNodeFull]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const keyOf = new Map<number, { key: string; name: string; where: string }>();
  for (const node of profile.nodes) {
    const f = node.callFrame;
    const name = f.functionName === "" ? "(anonymous)" : f.functionName;
    const where = mapper.place(f);
    keyOf.set(node.id, { key: `${name} ${where}`, name, where });
  }
  const entries = new Map<string, Entry>();
  const entry = (id: number): Entry | undefined => {
    const k = keyOf.get(id);
    if (k === undefined) return undefined;
    let e = entries.get(k.key);
    if (e === undefined) {
      e = { name: k.name, where: k.where, selfMs: 0, totalMs: 0, callers: new Map(), lines: new Map() };
      entries.set(k.key, e);
    }
    return e;
  };
  let totalMs = 0;
  const byName = new Map<string, { selfMs: number; totalMs: number }>();
  const named = (name: string): { selfMs: number; totalMs: number } => {
    let n = byName.get(name);
    if (n === undefined) {
      n = { selfMs: 0, totalMs: 0 };
      byName.set(name, n);
    }
    return n;
  };
  profile.samples.forEach((id, i) => {
    // The delta before sample i+1 is the time sample i stood for.
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    totalMs += ms;
    const self = entry(id);
    if (self !== undefined) {
      self.selfMs += ms;
      const caller = parent.get(id);
      const callerKey = caller === undefined ? "(none)" : (keyOf.get(caller)?.key ?? "?");
      self.callers.set(callerKey, (self.callers.get(callerKey) ?? 0) + ms);
    }
    const seen = new Set<Entry>();
    const seenNames = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const e = entry(at);
      if (e !== undefined && !seen.has(e)) {
        seen.add(e);
        e.totalMs += ms;
      }
      if (e !== undefined && !seenNames.has(e.name)) {
        seenNames.add(e.name);
        named(e.name).totalMs += ms;
        if (at === id) named(e.name).selfMs += ms;
      }
      if (!byId.has(at)) break;
    }
  });
  for (const node of byId.values()) {
    const e = entry(node.id);
    if (e === undefined || node.callFrame.url === "") continue;
    for (const { line, ticks } of node.positionTicks ?? []) {
      const place = mapper.place(node.callFrame, line - 1, 0);
      e.lines.set(place, (e.lines.get(place) ?? 0) + ticks);
    }
  }
  return { entries: [...entries.values()], totalMs, byName };
}

/** The largest few of a map, as `key value` text. */
function topOf(map: ReadonlyMap<string, number>, count: number, unit: string): string {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, value]) => `${key.trim()} ${fmt(value, 0)}${unit}`)
    .join("; ");
}

/**
 * Functions whose total time answers a question of docs/benchmarks.md (what
 * the accept path, an alarm run, the index, logging and the copy each cost),
 * printed per create or per generation whatever their rank.
 */
const FOCUS = [
  "createGeneration",
  "start",
  "runAlarm",
  "apply",
  "reserve",
  "record",
  "syncClientIndex",
  "syncIndex",
  "reportToIndex",
  "scheduleAlarm",
  "schedule",
  "load",
  "save",
  "commit",
  "logEvent",
  "copyVideoToR2",
  "newGenerationId",
  "keyring",
  "canonicalJson",
  "readConfig",
  "checkModelInput",
  "schemasFor",
  "inputsJsonSchema",
  "toGeneration",
  "signedVideoLink",
];

/** The floor Worker's functions (bench/floor/worker.ts). */
const FLOOR_FOCUS = ["fetch", "start", "record", "alarm"];

function printProfile(
  title: string,
  profile: CpuProfile,
  file: string,
  units: { count: number; what: string },
  bundleDir: string,
  focus: readonly string[] = FOCUS,
): number {
  const mapper = new SourceMapper(bundleDir);
  const { entries, totalMs, byName } = summarize(profile, mapper);
  if (mapper.mapFile !== null) copyFileSync(mapper.mapFile, `${file}.index.js.map`);
  const idle = entries.filter((e) => e.name === "(idle)" || e.name === "(program)" || e.name === "(garbage collector)");
  const busyMs = totalMs - (entries.find((e) => e.name === "(idle)")?.selfMs ?? 0);
  printHeading(title);
  console.log(
    `profile ${fmt(totalMs / 1000, 1)} s, of which not idle ${fmt(busyMs, 0)} ms; ` +
      idle.map((e) => `${e.name} ${fmt(e.selfMs, 0)} ms`).join(", ") +
      `\nwritten to ${file}`,
  );
  const pct = (ms: number): string => `${fmt((100 * ms) / busyMs, 1)} %`;
  const rows = (sorted: Entry[], key: "selfMs" | "totalMs"): string[][] =>
    sorted
      .filter((e) => e.name !== "(idle)" && e.name !== "(root)")
      .slice(0, TOP)
      .map((e) => [
        e.name.slice(0, 48),
        e.where.slice(0, 60),
        fmt(e[key], 0),
        pct(e[key]),
        fmt(e.selfMs, 0),
        fmt(e.totalMs, 0),
      ]);
  console.log(`\nby self time (share of not-idle)`);
  printTable(
    ["function", "where", "self ms", "share", "self", "total"],
    rows(
      [...entries].sort((a, b) => b.selfMs - a.selfMs),
      "selfMs",
    ),
  );
  console.log(`\nby total time (share of not-idle)`);
  printTable(
    ["function", "where", "total ms", "share", "self", "total"],
    rows(
      [...entries].sort((a, b) => b.totalMs - a.totalMs),
      "totalMs",
    ),
  );
  // A native frame's time (SQL, RPC, console) belongs to whoever called it; a
  // JavaScript function's self time sits on its lines (native calls it makes
  // without a frame of their own included).
  console.log(`\nchosen functions: total (and self) ms, all places summed, and per ${units.what} (${units.count})`);
  const focusRows = focus
    .map((name) => {
      const { totalMs: total, selfMs: self } = byName.get(name) ?? { totalMs: 0, selfMs: 0 };
      return [name, fmt(total, 0), fmt(self, 0), fmt(total / units.count, 2), pct(total)];
    })
    .filter((row) => row[1] !== "0");
  printTable(["function", "total ms", "self ms", `total ms per ${units.what}`, "share"], focusRows);
  console.log(`\nthe top ${HOT} by self time: their callers, and their hottest lines (samples)`);
  const hot = [...entries]
    .filter((e) => !["(idle)", "(root)", "(program)", "(garbage collector)"].includes(e.name))
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, HOT);
  for (const e of hot) {
    console.log(`${e.name} ${e.where} (self ${fmt(e.selfMs, 0)} ms)`);
    console.log(`    called from: ${topOf(e.callers, 4, " ms")}`);
    if (e.lines.size > 0) console.log(`    lines: ${topOf(e.lines, 5, "")}`);
  }
  return busyMs;
}

// ---------------------------------------------------------------------------
// The two scenarios

function createRequest(relay: RelayProcess): Promise<Response> {
  return fetch(`${relay.url}/v1/generations`, {
    method: "POST",
    headers: { ...AUTH, "Content-Type": "application/json" },
    body: JSON.stringify({ prompt: `bench profile ${crypto.randomUUID()}` }),
    signal: AbortSignal.timeout(30_000),
  });
}

async function createLoops(
  relay: RelayProcess,
  loops: number,
  ms: number,
  request: (relay: RelayProcess) => Promise<Response> = createRequest,
): Promise<number> {
  const end = Date.now() + ms;
  let created = 0;
  await Promise.all(
    Array.from({ length: loops }, async () => {
      while (Date.now() < end) {
        const response = await request(relay);
        await response.arrayBuffer();
        if (response.status === 202) created++;
      }
    }),
  );
  return created;
}

async function startProfiledRelay(upstream: FakeAimlapi, pollSeconds: string): Promise<RelayProcess> {
  const relay = await startRelay({
    vars: testRelayVars(upstream.url, { POLL_INTERVAL_SECONDS: pollSeconds, MAX_ACTIVE_PER_KEY: "1000000" }),
    extraArgs: ["--minify=false"],
  });
  onCleanup(() => relay.stop());
  return relay;
}

runBench("profile", 600_000, async () => {
  const dir = mkdtempSync(join(tmpdir(), "wan-relay-profile-"));
  console.log(`load average ${loadAverage()}; profiles in ${dir}`);
  const upstream = await startFakeAimlapi({ apiKey: TEST_UPSTREAM_KEY, hangMs: 20_000 });
  onCleanup(() => upstream.close());

  // Create path: polls an hour away, so only creates and their submits run.
  const creating = await startProfiledRelay(upstream, "3600");
  await createLoops(creating, 2, 2_000); // warm-up: isolate, keyring, index
  let created = 0;
  const createProfile = await profiled(creating, options["interval-us"], async () => {
    created = await createLoops(creating, LOOPS, WINDOW_MS);
    await sleep(1_000); // the last submits
  });
  const createFile = join(dir, "create.cpuprofile");
  writeFileSync(createFile, JSON.stringify(createProfile));
  printProfile(
    `Create path: ${created} creates (${LOOPS} loops × ${WINDOW_MS / 1000} s) and their submits; load ${loadAverage()}`,
    createProfile,
    createFile,
    { count: created, what: "create" },
    creating.bundleDir,
  );
  await creating.stop();

  // The floor's create (with its index hop), the same way: what of the above the runtime costs anyway.
  const floor = await startRelay({
    vars: { UPSTREAM_URL: upstream.url },
    config: "bench/floor/wrangler.jsonc",
    extraArgs: ["--minify=false"],
  });
  onCleanup(() => floor.stop());
  const floorCreate = floorRequest(floorQuery("floor+index", 3_600_000));
  await createLoops(floor, 2, 2_000, floorCreate);
  let floorCreated = 0;
  const floorProfile = await profiled(floor, options["interval-us"], async () => {
    floorCreated = await createLoops(floor, LOOPS, WINDOW_MS, floorCreate);
    await sleep(1_000);
  });
  const floorFile = join(dir, "floor-create.cpuprofile");
  writeFileSync(floorFile, JSON.stringify(floorProfile));
  printProfile(
    `The floor's create with its index hop: ${floorCreated} creates (${LOOPS} loops × ${WINDOW_MS / 1000} s) and their first alarm; load ${loadAverage()}`,
    floorProfile,
    floorFile,
    { count: floorCreated, what: "create" },
    floor.bundleDir,
    FLOOR_FOCUS,
  );

  // Whole generations of floor+io (the floor doing a generation's I/O), to set against the relay's below.
  const floorIo = floorRequest(floorQuery("floor+io", 200));
  const floorWhole = await wholeGenerations(floor, floorIo, "floor.done ", join(dir, "floor-io-whole.cpuprofile"));
  const floorWholeMs = printProfile(
    `Whole generations of floor+io: ${floorWhole.done} of ${GENERATIONS} created (8 at a time), run and settled; load ${loadAverage()}`,
    floorWhole.profile,
    floorWhole.file,
    { count: Math.max(1, floorWhole.done), what: "generation" },
    floor.bundleDir,
    FLOOR_FOCUS,
  );
  await floor.stop();

  // Alarm runs: the creates first, then a profile of their polls and copies only.
  const polling = await startProfiledRelay(upstream, "0.2");
  await createLoops(polling, 2, 2_000);
  const settled = new LogCounter(() => polling.logs(), ['"generation.settled"']);
  await sleep(3_000);
  const before = settled.count('"generation.settled"');
  await createEightAtATime(polling, createRequest);
  const alarmProfile = await profiled(polling, options["interval-us"], () =>
    untilLogged(settled, '"generation.settled"', before),
  );
  const alarmFile = join(dir, "alarms.cpuprofile");
  writeFileSync(alarmFile, JSON.stringify(alarmProfile));
  printProfile(
    `Alarm runs: ${settled.count('"generation.settled"') - before} of ${GENERATIONS} generations polled (5 polls each), copied and settled; load ${loadAverage()}`,
    alarmProfile,
    alarmFile,
    { count: Math.max(1, settled.count('"generation.settled"') - before), what: "generation" },
    polling.bundleDir,
  );

  const relayWhole = await wholeGenerations(
    polling,
    createRequest,
    '"generation.settled"',
    join(dir, "relay-whole.cpuprofile"),
  );
  const relayWholeMs = printProfile(
    `Whole generations of the relay: ${relayWhole.done} of ${GENERATIONS} created (8 at a time), run and settled; load ${loadAverage()}`,
    relayWhole.profile,
    relayWhole.file,
    { count: Math.max(1, relayWhole.done), what: "generation" },
    polling.bundleDir,
  );
  const perRelay = relayWholeMs / Math.max(1, relayWhole.done);
  const perFloor = floorWholeMs / Math.max(1, floorWhole.done);
  console.log(
    `\nwhole generations, not-idle JS thread per generation: relay ${fmt(perRelay, 1)} ms, floor+io ${fmt(perFloor, 1)} ms, relay/(floor+io) ${fmt(perRelay / perFloor, 2)}`,
  );
});

/**
 * A profile of GENERATIONS whole generations: created 8 at a time inside it,
 * and until each has logged `doneMarker` (at most 120 s).
 */
async function wholeGenerations(
  target: RelayProcess,
  request: (target: RelayProcess) => Promise<Response>,
  doneMarker: string,
  file: string,
): Promise<{ profile: CpuProfile; done: number; file: string }> {
  const counter = new LogCounter(() => target.logs(), [doneMarker]);
  const before = counter.count(doneMarker);
  const profile = await profiled(target, options["interval-us"], async () => {
    await createEightAtATime(target, request);
    await untilLogged(counter, doneMarker, before);
  });
  writeFileSync(file, JSON.stringify(profile));
  return { profile, done: counter.count(doneMarker) - before, file };
}

/** GENERATIONS creates, 8 at a time, each answered before the next 8 are sent. */
async function createEightAtATime(
  target: RelayProcess,
  request: (target: RelayProcess) => Promise<Response>,
): Promise<void> {
  for (let i = 0; i < GENERATIONS; i += 8) {
    await Promise.all(
      Array.from({ length: Math.min(8, GENERATIONS - i) }, async () => (await request(target)).arrayBuffer()),
    );
  }
}

/** Waits until `marker` has been logged GENERATIONS times since `before` (at most 120 s). */
async function untilLogged(counter: LogCounter, marker: string, before: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (counter.count(marker) - before < GENERATIONS && Date.now() < deadline) await sleep(100);
}

/** A POST to the floor's /create with `query` (lib.ts floorQuery). */
function floorRequest(query: string): (target: RelayProcess) => Promise<Response> {
  return (target) =>
    fetch(`${target.url}/create?${query}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ prompt: `bench profile ${crypto.randomUUID()}` }),
      signal: AbortSignal.timeout(30_000),
    });
}
