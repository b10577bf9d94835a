/**
 * N generations at once: N creates sent together to one relay (one client),
 * each running on the local fake upstream for a few polls, and what became of
 * every one of them.
 *
 *   node bench/many-at-once.ts [--n 1000] [--poll 1] [--polls 3] [--keepalive-ms MS] [--floor 1]
 *
 * Each generation is submitted at once and completes at its `--polls`-th poll
 * (`[[fake steps=…]]`), so with --poll 1 and --polls 3 it takes T ≈ 3.5 s on
 * its own. Prints: accepted (202), refused by status; completed, failed by
 * error code (with the first message of each code), still running; the
 * accept phase (first create sent → last answer), the makespan (first create
 * sent → last terminal state) and each against N / T.
 *
 * Outcomes are read from the relay's own log lines (`generation.status`,
 * `generation.failed`), which carry the generation's age, not by reading
 * generations over the API while they run (N GETs a second would be load of
 * their own); failed ones are read once at the end for their message. For
 * each failure at submit the fake upstream says whether the request ever
 * reached it (`/__stats?prompt=`): a task the fake holds is a paid
 * generation lost, one it never saw was never sent.
 *
 * Then, as a baseline in the same run (unless --floor 0), the same N at once
 * to the floor Worker (bench/floor/) doing the I/O such a generation needs:
 * the index hop, one alarm run for the submit and one per poll, each with an
 * upstream request, the video's copy into R2 on the last, and as many log
 * lines; printed beside the relay's. For both, the CPU of the busiest thread
 * of the `wrangler dev` tree over the run (under `wrangler dev` every isolate
 * and Durable Object runs on one workerd thread), which says whether that
 * thread is what bounds the makespan.
 *
 * For the keep-alive experiment (docs/benchmarks.md): --keepalive-ms sets
 * the fake's keep-alive timeout (Node's `server.keepAliveTimeout`; without it
 * the fake's default, which never closes an idle connection), and
 * --block-ms keeps this process (the fake's) busy that long out of every
 * twice that while the generations run, as a heavier load generator would.
 *
 * Everything on 127.0.0.1; bounded (a deadline on every wait, a time limit on
 * the whole); the relay and the fake stop on every way out.
 */
import { startFakeAimlapi } from "../test/support/fake-aimlapi.ts";
import { startRelay, testRelayVars } from "../test/support/relay-process.ts";
import { TEST_UPSTREAM_KEY } from "../test/support/constants.ts";
import {
  AUTH,
  RELAY_EXTRA_LOG_LINES,
  SAMPLE_VIDEO_BYTES,
  LogCounter,
  busyEventLoop,
  fmt,
  getGeneration,
  loadAverage,
  numberOptions,
  onCleanup,
  percentile,
  printFigure,
  printHeading,
  printTable,
  runBench,
  sleep,
  threadCpuDelta,
  treeThreadCpu,
  upstreamStats,
  type Generation,
  type ThreadCpu,
} from "./lib.ts";
import { parseOutcomes, type Outcome } from "../test/support/lifecycle-log.ts";

const options = numberOptions({ n: 1000, poll: 1, polls: 3, "keepalive-ms": 0, "block-ms": 0, floor: 1 });
const N = Math.max(1, Math.floor(options.n));
const POLLS = Math.max(1, Math.floor(options.polls));
const KEEPALIVE_MS = options["keepalive-ms"] > 0 ? options["keepalive-ms"] : undefined;
const BLOCK_MS = Math.floor(options["block-ms"]);
/** The fake's steps: working until the last poll, which finds the video. */
const STEPS = [...Array.from({ length: POLLS - 1 }, (_, i) => (i === 0 ? "queued" : "generating")), "completed"];
/** Longest wait for every generation to end after the last create was answered. */
const FINISH_LIMIT_MS = 240_000;

/** The relay's `generation.submitted` line for one generation: how long its submit took and how it ended. */
function submittedLine(logs: string, id: string): { ageMs: number; submitMs: number; outcome: string } | null {
  for (const line of logs.split("\n")) {
    if (!line.includes('"generation.submitted"') || !line.includes(id)) continue;
    try {
      const parsed = JSON.parse(line) as { age_ms?: number; submit_ms?: number; outcome?: string };
      return { ageMs: parsed.age_ms ?? 0, submitMs: parsed.submit_ms ?? 0, outcome: parsed.outcome ?? "?" };
    } catch {
      return null;
    }
  }
  return null;
}

runBench("many-at-once", 630_000, async () => {
  console.log(
    `${N} generations at once, POLL_INTERVAL_SECONDS ${options.poll}, ${POLLS} polls each (T ≈ ${fmt(POLLS * options.poll + 0.5)} s), ` +
      `fake keep-alive timeout ${KEEPALIVE_MS === undefined ? "its default (none)" : `${KEEPALIVE_MS} ms`}` +
      `${BLOCK_MS > 0 ? `, fake busy ${BLOCK_MS} of every ${2 * BLOCK_MS} ms` : ""}; load average ${loadAverage()}`,
  );
  const upstream = await startFakeAimlapi({
    apiKey: TEST_UPSTREAM_KEY,
    hangMs: 20_000,
    ...(KEEPALIVE_MS === undefined ? {} : { keepAliveTimeoutMs: KEEPALIVE_MS }),
  });
  onCleanup(() => upstream.close());
  const relay = await startRelay({
    vars: testRelayVars(upstream.url, {
      POLL_INTERVAL_SECONDS: String(options.poll),
      MAX_ACTIVE_PER_KEY: String(Math.max(100, N * 2)),
    }),
  });
  onCleanup(() => relay.stop());

  const marker = `[[fake steps=${STEPS.join(",")}]]`;
  const prompts = Array.from({ length: N }, (_, i) => `bench many ${i} ${crypto.randomUUID()} ${marker}`);
  const refused = new Map<string, number>();
  const accepted = new Map<string, { prompt: string; createdAt: number }>();
  const acceptMs: number[] = [];
  // When the fake first held a task for each prompt (a submit it answered), to a quarter of a second.
  const taskSeenAt = new Map<string, number>();
  const watchFake = setInterval(() => {
    for (const prompt of prompts) {
      if (!taskSeenAt.has(prompt) && upstream.tasksForPrompt(prompt).length > 0) taskSeenAt.set(prompt, Date.now());
    }
  }, 250);
  const unblock = busyEventLoop(BLOCK_MS);
  const threadsBefore = treeThreadCpu(relay.pid() ?? -1);
  const started = Date.now();
  let lastAnswer = started;
  await Promise.all(
    prompts.map(async (prompt) => {
      const sent = Date.now();
      try {
        const response = await fetch(`${relay.url}/v1/generations`, {
          method: "POST",
          headers: { ...AUTH, "Content-Type": "application/json" },
          body: JSON.stringify({ prompt }),
          signal: AbortSignal.timeout(180_000),
        });
        const text = await response.text();
        lastAnswer = Math.max(lastAnswer, Date.now());
        if (response.status !== 202) {
          const key = `HTTP ${response.status} ${text.slice(0, 120)}`;
          refused.set(key, (refused.get(key) ?? 0) + 1);
          return;
        }
        const generation = JSON.parse(text) as Generation;
        accepted.set(generation.id, { prompt, createdAt: Date.parse(generation.created_at) });
        acceptMs.push(Date.now() - sent);
      } catch (err) {
        lastAnswer = Math.max(lastAnswer, Date.now());
        const key = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        refused.set(key, (refused.get(key) ?? 0) + 1);
      }
    }),
  );
  const acceptPhaseMs = lastAnswer - started;
  console.log(
    `accept phase over: ${accepted.size} accepted in ${fmt(acceptPhaseMs / 1000, 1)} s; load ${loadAverage()}`,
  );

  // Wait for every accepted generation's terminal line.
  const deadline = Date.now() + FINISH_LIMIT_MS;
  let outcomes = new Map<string, Outcome>();
  for (;;) {
    outcomes = parseOutcomes(relay.logs());
    const ended = [...accepted.keys()].filter((id) => outcomes.get(id)?.terminal !== undefined).length;
    if (ended === accepted.size || Date.now() > deadline) break;
    await sleep(500);
  }
  const threads = threadCpuDelta(threadsBefore, treeThreadCpu(relay.pid() ?? -1));
  const watchedMs = Date.now() - started;
  unblock();
  clearInterval(watchFake);
  const ends = [...accepted].map(([id, a]) => {
    const o = outcomes.get(id);
    return o?.terminal === undefined ? null : { id, at: a.createdAt + o.terminal.ageMs, ...o.terminal };
  });
  const done = ends.filter((e) => e !== null);
  const completed = done.filter((e) => e.status === "completed");
  const failed = done.filter((e) => e.status === "failed");
  const makespanMs = Math.max(...done.map((e) => e.at)) - started;

  printHeading(`${N} generations at once`);
  printFigure("accepted (202)", accepted.size, `of ${N}`);
  for (const [reason, count] of refused) printFigure("  refused", count, "", reason);
  printFigure("completed", completed.length);
  printFigure("failed", failed.length);
  const byCode = new Map<string, typeof failed>();
  for (const f of failed) byCode.set(f.code ?? "?", [...(byCode.get(f.code ?? "?") ?? []), f]);
  printFigure("still running at the deadline", accepted.size - done.length);
  printFigure("accept phase", acceptPhaseMs / 1000, "s", `${fmt(accepted.size / (acceptPhaseMs / 1000))} creates/s`);
  printFigure(
    "create latency p50 / p95 / max",
    `${fmt(percentile(acceptMs, 50) / 1000, 2)} / ${fmt(percentile(acceptMs, 95) / 1000, 2)} / ${fmt(Math.max(...acceptMs) / 1000, 2)}`,
    "s",
  );
  printFigure("makespan", makespanMs / 1000, "s", "first create sent → last terminal state");
  const tMs = (POLLS * options.poll + 0.5) * 1000;
  printFigure(
    "makespan − accept phase",
    (makespanMs - acceptPhaseMs) / 1000,
    "s",
    `against T + 2 poll intervals = ${fmt((tMs + 2 * options.poll * 1000) / 1000, 1)} s`,
  );
  const runMs = done.map((e) => e.ageMs);
  printFigure(
    "create → terminal p50 / p95 / max",
    `${fmt(percentile(runMs, 50) / 1000, 2)} / ${fmt(percentile(runMs, 95) / 1000, 2)} / ${fmt(Math.max(...runMs) / 1000, 2)}`,
    "s",
  );
  printThreads(threads, watchedMs, done.length);
  console.log(`load average at the end: ${loadAverage()}`);

  if (failed.length > 0) {
    printHeading("Failures by code");
    const rows: string[][] = [];
    for (const [code, list] of byCode) {
      // The message of each, read once now that they have ended; the fake says whether each submit reached it.
      const seen = new Map<string, number>();
      let reached = 0;
      for (const f of list) {
        const generation = await getGeneration(relay, f.id);
        const message = generation.error?.message ?? "?";
        seen.set(message, (seen.get(message) ?? 0) + 1);
        const prompt = accepted.get(f.id)?.prompt ?? "";
        if ((await upstreamStats(upstream, prompt)).submits > 0) reached++;
      }
      for (const [message, count] of seen) rows.push([code, String(count), `${reached}/${list.length}`, message]);
      // Each one's submit as both sides saw it, in seconds after the first create was sent.
      for (const f of list.slice(0, 10)) {
        const a = accepted.get(f.id);
        const submitted = submittedLine(relay.logs(), f.id);
        const at = (ms: number | undefined): string => (ms === undefined ? "-" : fmt((ms - started) / 1000, 2));
        const submitStart =
          a === undefined || submitted === null ? undefined : a.createdAt + submitted.ageMs - submitted.submitMs;
        console.log(
          `${code} ${f.id}: created ${at(a?.createdAt)}, submit sent ${at(submitStart)}, ` +
            `fake held its task ${at(taskSeenAt.get(a?.prompt ?? ""))}, submit ended after ${
              submitted === null ? "-" : fmt(submitted.submitMs / 1000, 2)
            } s (${submitted?.outcome ?? "-"}), failed ${at(f.at)}`,
        );
      }
    }
    printTable(["code", "count", "submit reached the fake", "message"], rows);
  }

  if (options.floor === 0) return;
  await relay.stop();
  const base = await floorAtOnce(upstream.url);
  printHeading(`The same ${N} at once on the floor doing the same I/O (floor+io), same run`);
  const ratio = (a: number, b: number): string => (b > 0 ? fmt(a / b, 2) : "-");
  const relayBusiest = threads[0]?.ms ?? 0;
  const floorBusiest = base.threads[0]?.ms ?? 0;
  const relayTotal = threads.reduce((sum, t) => sum + t.ms, 0);
  const floorTotal = base.threads.reduce((sum, t) => sum + t.ms, 0);
  printTable(
    ["figure", "relay", "floor+io", "relay/(floor+io)"],
    [
      ["finished (completed / done)", `${completed.length} of ${N}`, `${base.done} of ${N}`, ""],
      [
        "accept phase, s",
        fmt(acceptPhaseMs / 1000, 1),
        fmt(base.acceptPhaseMs / 1000, 1),
        ratio(acceptPhaseMs, base.acceptPhaseMs),
      ],
      ["makespan, s", fmt(makespanMs / 1000, 1), fmt(base.makespanMs / 1000, 1), ratio(makespanMs, base.makespanMs)],
      [
        "makespan − accept phase, s",
        fmt((makespanMs - acceptPhaseMs) / 1000, 1),
        fmt((base.makespanMs - base.acceptPhaseMs) / 1000, 1),
        ratio(makespanMs - acceptPhaseMs, base.makespanMs - base.acceptPhaseMs),
      ],
      [
        "busiest thread's CPU per generation, ms",
        fmt(relayBusiest / N, 1),
        fmt(floorBusiest / N, 1),
        ratio(relayBusiest, floorBusiest),
      ],
      [
        "busiest thread busy, % of the run",
        fmt((100 * relayBusiest) / watchedMs),
        fmt((100 * floorBusiest) / base.makespanMs),
        "",
      ],
      ["tree CPU per generation, ms", fmt(relayTotal / N, 1), fmt(floorTotal / N, 1), ratio(relayTotal, floorTotal)],
    ],
  );
  console.log(`load average at the end: ${loadAverage()}`);
});

/** The threads that did most of a run's work, and the whole tree's CPU. */
function printThreads(threads: readonly ThreadCpu[], watchedMs: number, generations: number): void {
  const total = threads.reduce((sum, t) => sum + t.ms, 0);
  printFigure(
    "CPU of the wrangler dev tree",
    total / 1000,
    "s",
    `${fmt(total / Math.max(1, generations), 1)} ms per generation, over the ${fmt(watchedMs / 1000, 1)} s from the first create to the last terminal state seen`,
  );
  for (const t of threads.slice(0, 3)) {
    printFigure(
      `  a ${t.name} thread (pid ${t.pid})`,
      t.ms / 1000,
      "s",
      `busy ${fmt((100 * t.ms) / watchedMs)} % of that time`,
    );
  }
}

/** N creates at once to the floor doing a generation's I/O; when they were answered and when the last one was done. */
async function floorAtOnce(
  upstreamUrl: string,
): Promise<{ done: number; acceptPhaseMs: number; makespanMs: number; threads: ThreadCpu[] }> {
  const floor = await startRelay({ vars: { UPSTREAM_URL: upstreamUrl }, config: "bench/floor/wrangler.jsonc" });
  onCleanup(() => floor.stop());
  try {
    const query = new URLSearchParams({
      alarms: String(1 + POLLS),
      interval_ms: String(Math.round(options.poll * 1000)),
      index: "1",
      fetch: "1",
      logs: String(RELAY_EXTRA_LOG_LINES),
      copy: String(SAMPLE_VIDEO_BYTES),
    });
    const counter = new LogCounter(() => floor.logs(), ["floor.done "]);
    const threadsBefore = treeThreadCpu(floor.pid() ?? -1);
    const started = Date.now();
    let lastAnswer = started;
    const statuses = await Promise.all(
      Array.from({ length: N }, async (_, i) => {
        try {
          const response = await fetch(`${floor.url}/create?${query}`, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ prompt: `floor many ${i}` }),
            signal: AbortSignal.timeout(180_000),
          });
          await response.arrayBuffer();
          return response.status;
        } catch {
          return 0;
        } finally {
          lastAnswer = Math.max(lastAnswer, Date.now());
        }
      }),
    );
    const accepted = statuses.filter((status) => status === 202).length;
    const deadline = Date.now() + FINISH_LIMIT_MS;
    // The floor's lines carry no time: the last one is seen to within the 100 ms between readings.
    while (counter.count("floor.done ") < accepted && Date.now() < deadline) await sleep(100);
    const finished = Date.now();
    const threads = threadCpuDelta(threadsBefore, treeThreadCpu(floor.pid() ?? -1));
    const done = counter.count("floor.done ");
    printHeading(`${N} at once on the floor+io`);
    printFigure("accepted (202)", accepted, `of ${N}`);
    printFigure("done", done);
    printFigure("accept phase", (lastAnswer - started) / 1000, "s");
    printFigure("makespan", (finished - started) / 1000, "s", "first create sent → last floor.done seen");
    printThreads(threads, finished - started, done);
    return {
      done,
      acceptPhaseMs: lastAnswer - started,
      makespanMs: finished - started,
      threads,
    };
  } finally {
    await floor.stop();
  }
}
