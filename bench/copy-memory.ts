/**
 * Memory of the runtime while a large video is copied from the upstream into
 * R2: the copy must stream, so workerd's resident memory should grow by a
 * bounded amount (chunks, one multipart part), not by the video's size.
 *
 *   node bench/copy-memory.ts [--mb 200] [--small-mb 50]
 *
 * Two copies of the same size: one served with Content-Length (one streamed
 * `put` through a FixedLengthStream) and one with `length=none` (chunked, so
 * the relay takes the multipart path with 8 MiB part buffers); then a smaller
 * one for reference, to tell memory that follows the video's size from memory
 * that does not.
 *
 * RSS is VmRSS from /proc/<pid>/status of every `workerd` process below the
 * `wrangler dev` process, summed, sampled every 100 ms. The whole tree (the
 * wrangler Node processes too) is shown beside it. Local R2 lives in workerd
 * too, so its buffers count here; on Cloudflare they would not.
 *
 * The copy duration comes from the relay's own timeline: the last
 * `storage.started` to `storage.stored`.
 */
import { expectedVideoSha256 } from "../test/support/fake-aimlapi.ts";
import type { RelayProcess } from "../test/support/relay-process.ts";
import type { Generation } from "../src/api/schemas.ts";
import {
  descendants,
  events,
  fmt,
  MiB,
  numberOptions,
  percentile,
  printFigure,
  printHeading,
  printTable,
  processMemory,
  runBench,
  runToCompletion,
  sleep,
  startBench,
  uniquePrompt,
} from "./lib.ts";

const options = numberOptions({ mb: 200, "small-mb": 50 });
const SIZE = Math.round(options.mb * MiB);
const SMALL = Math.round(options["small-mb"] * MiB);
const SAMPLE_EVERY_MS = 100;

interface Sample {
  /** VmRSS of the workerd processes, summed. */
  workerdBytes: number;
  /** Their anonymous part (heap and buffers), without mapped files. */
  workerdAnonBytes: number;
  /** VmRSS of wrangler and everything below it. */
  treeBytes: number;
  workerdProcesses: number;
}

function sample(relay: RelayProcess): Sample {
  const root = relay.pid();
  if (root === null) throw new Error("the relay is not running");
  const out: Sample = { workerdBytes: 0, workerdAnonBytes: 0, treeBytes: 0, workerdProcesses: 0 };
  for (const pid of [root, ...descendants(root)]) {
    const memory = processMemory(pid);
    if (memory === null) continue;
    out.treeBytes += memory.rssBytes;
    if (memory.name === "workerd") {
      out.workerdBytes += memory.rssBytes;
      out.workerdAnonBytes += memory.anonBytes;
      out.workerdProcesses++;
    }
  }
  return out;
}

function startSampler(relay: RelayProcess): { stop(): Sample[] } {
  const samples: Sample[] = [sample(relay)];
  const timer = setInterval(() => {
    // Bounded: a copy that never ends is stopped by the wait's own deadline long before this.
    if (samples.length < 20_000) samples.push(sample(relay));
  }, SAMPLE_EVERY_MS);
  return {
    stop: () => {
      clearInterval(timer);
      samples.push(sample(relay));
      return samples;
    },
  };
}

/** Median of a few samples half a second apart: the resting RSS before a copy. */
async function baseline(relay: RelayProcess): Promise<Sample> {
  const samples: Sample[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(sample(relay));
    await sleep(SAMPLE_EVERY_MS);
  }
  return {
    workerdBytes: percentile(
      samples.map((s) => s.workerdBytes),
      50,
    ),
    workerdAnonBytes: percentile(
      samples.map((s) => s.workerdAnonBytes),
      50,
    ),
    treeBytes: percentile(
      samples.map((s) => s.treeBytes),
      50,
    ),
    workerdProcesses: samples[0]?.workerdProcesses ?? 0,
  };
}

interface CaseResult {
  label: string;
  bytes: number;
  sha256OK: boolean;
  base: Sample;
  peakWorkerd: number;
  peakAnon: number;
  peakTree: number;
  after: Sample;
  copyMs: number;
  samples: number;
}

interface Case {
  label: string;
  size: number;
  directives: string;
}

/**
 * One copy on a freshly started workerd (same state directory), warmed up
 * with a small video first: each case then starts from the same resting
 * memory, and neither inherits the other's garbage or allocator arenas.
 */
async function copyCase(relay: RelayProcess, c: Case): Promise<CaseResult> {
  await relay.restart();
  await runToCompletion(relay, { prompt: uniquePrompt("copy-warmup") });
  const base = await baseline(relay);
  const sampler = startSampler(relay);
  let samples: Sample[];
  let done: Generation;
  try {
    done = await runToCompletion(
      relay,
      { prompt: uniquePrompt(`copy-${c.label}`, `size=${c.size} ${c.directives}`) },
      150_000,
    );
  } finally {
    samples = sampler.stop();
  }
  // A second later: is the memory handed back, or kept by the runtime?
  await sleep(1_000);
  const after = sample(relay);
  const timeline = await events(relay, done.id);
  const started = timeline.filter((e) => e.type === "storage.started").at(-1);
  const stored = timeline.find((e) => e.type === "storage.stored");
  if (started === undefined || stored === undefined || done.video === null)
    throw new Error(`${done.id}: no storage events or no video`);
  return {
    label: c.label,
    bytes: done.video.bytes,
    // Hashed here, after the copy and its sampling, so it never competes with them for the CPU.
    sha256OK: done.video.bytes === c.size && done.video.sha256 === expectedVideoSha256(c.size),
    base,
    peakWorkerd: Math.max(...samples.map((s) => s.workerdBytes)),
    peakAnon: Math.max(...samples.map((s) => s.workerdAnonBytes)),
    peakTree: Math.max(...samples.map((s) => s.treeBytes)),
    after,
    copyMs: Date.parse(stored.at) - Date.parse(started.at),
    samples: samples.length,
  };
}

const mib = (bytes: number): string => fmt(bytes / MiB);

runBench("copy-memory", 170_000, async () => {
  // Polling fast only shortens the wait before the copy; it does not touch the copy itself.
  const bench = await startBench({ POLL_INTERVAL_SECONDS: "0.2" });
  console.log(
    `relay ${bench.relay.url}; RSS of workerd under wrangler dev, sampled every ${SAMPLE_EVERY_MS} ms; a fresh workerd per case`,
  );
  const cases: Case[] = [
    { label: `${mib(SIZE)} MiB, Content-Length (put)`, size: SIZE, directives: "" },
    { label: `${mib(SIZE)} MiB, length=none (multipart)`, size: SIZE, directives: "length=none" },
    // A smaller copy for reference: if memory tracked the video's size, Δ would scale with it.
    { label: `${mib(SMALL)} MiB, Content-Length (put)`, size: SMALL, directives: "" },
  ];
  const results: CaseResult[] = [];
  for (const c of cases) results.push(await copyCase(bench.relay, c));

  for (const r of results) {
    printHeading(r.label);
    printFigure(
      "video size",
      mib(r.bytes),
      "MiB",
      r.sha256OK ? "sha256 matches the upstream's bytes" : "MISMATCH with the upstream's bytes",
    );
    printFigure(
      "workerd RSS baseline",
      mib(r.base.workerdBytes),
      "MiB",
      `${r.base.workerdProcesses} workerd processes, after a warm-up`,
    );
    printFigure("workerd RSS peak", mib(r.peakWorkerd), "MiB", `${r.samples} samples`);
    printFigure("workerd peak − baseline", mib(r.peakWorkerd - r.base.workerdBytes), "MiB");
    printFigure("  of which anonymous", mib(r.peakAnon - r.base.workerdAnonBytes), "MiB", "RssAnon: heap and buffers");
    printFigure("workerd RSS 1 s after", mib(r.after.workerdBytes), "MiB");
    printFigure(
      "whole tree peak − baseline",
      mib(r.peakTree - r.base.treeBytes),
      "MiB",
      "wrangler's Node processes + workerd",
    );
    printFigure("copy duration", fmt(r.copyMs / 1000, 2), "s", "storage.started → storage.stored");
    printFigure("copy rate", fmt(r.bytes / MiB / (r.copyMs / 1000)), "MiB/s");
  }
  printHeading("summary (workerd RSS)");
  printTable(
    ["case", "base MiB", "peak MiB", "Δ MiB", "Δ/size", "copy s", "MiB/s"],
    results.map((r) => [
      r.label,
      mib(r.base.workerdBytes),
      mib(r.peakWorkerd),
      mib(r.peakWorkerd - r.base.workerdBytes),
      fmt((r.peakWorkerd - r.base.workerdBytes) / r.bytes, 2),
      fmt(r.copyMs / 1000, 2),
      fmt(r.bytes / MiB / (r.copyMs / 1000)),
    ]),
  );
});
