/**
 * First call against warm calls, in a fresh isolate: `GET /v1/models`,
 * `GET /v1/models/{id}` and `GET /openapi.json` next to `GET /healthz`.
 *
 *   node bench/cold-paths.ts [--rounds 3] [--warm 20]
 *
 * For each path, each round: `wrangler dev` is restarted (a new workerd, so a
 * new isolate; its readiness check has made one `/healthz` call), then the
 * path is asked once (the first call: whatever the isolate builds lazily),
 * then `--warm` times more, then `/healthz` as many times. Prints the first
 * call's latency and workerd CPU, the warm median latency and CPU per call,
 * and each against warm `/healthz` in the same isolate.
 *
 * CPU is workerd's user + system ticks from /proc (10 ms each): the first
 * call's CPU is one reading around one request, so ±10 ms; warm CPU is the
 * ticks of all warm calls over their count.
 *
 * Everything on 127.0.0.1; bounded; the relay and fake stop on every way out.
 */
import { FAKE_MODEL, startFakeAimlapi } from "../test/support/fake-aimlapi.ts";
import { startRelay, testRelayVars, type RelayProcess } from "../test/support/relay-process.ts";
import { TEST_UPSTREAM_KEY } from "../test/support/constants.ts";
import {
  AUTH,
  fmt,
  loadAverage,
  numberOptions,
  onCleanup,
  percentile,
  printHeading,
  printTable,
  runBench,
  treeCpuMs,
} from "./lib.ts";

const options = numberOptions({ rounds: 3, warm: 20 });
const ROUNDS = Math.max(1, Math.floor(options.rounds));
const WARM = Math.max(1, Math.floor(options.warm));

const PATHS: readonly { label: string; path: string; auth: boolean }[] = [
  { label: "GET /healthz", path: "/healthz", auth: false },
  { label: "GET /v1/models", path: "/v1/models", auth: true },
  { label: "GET /v1/models/{id}", path: `/v1/models/${FAKE_MODEL}`, auth: true },
  { label: "GET /openapi.json", path: "/openapi.json", auth: false },
];

interface Sample {
  firstMs: number;
  firstCpuMs: number;
  warmMs: number;
  warmCpuMs: number;
  healthzMs: number;
  healthzCpuMs: number;
}

/** workerd's CPU ms so far (the relay's code runs there; wrangler's Node only relays logs). */
function workerdCpuMs(relay: RelayProcess): number {
  const pid = relay.pid();
  if (pid === null) throw new Error("wrangler is not running");
  return treeCpuMs(pid).get("workerd") ?? 0;
}

async function call(relay: RelayProcess, path: string, auth: boolean): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${relay.url}${path}`, {
    headers: auth ? AUTH : {},
    signal: AbortSignal.timeout(30_000),
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`);
  return performance.now() - started;
}

/** `count` calls in a row: median latency and CPU ms per call. */
async function warmCalls(relay: RelayProcess, path: string, auth: boolean, count: number) {
  const cpuBefore = workerdCpuMs(relay);
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) latencies.push(await call(relay, path, auth));
  return { ms: percentile(latencies, 50), cpuMs: (workerdCpuMs(relay) - cpuBefore) / count };
}

runBench("cold-paths", 400_000, async () => {
  console.log(
    `${ROUNDS} rounds, a fresh isolate per path per round, ${WARM} warm calls; load average ${loadAverage()}`,
  );
  const upstream = await startFakeAimlapi({ apiKey: TEST_UPSTREAM_KEY, hangMs: 20_000 });
  onCleanup(() => upstream.close());
  const relay = await startRelay({ vars: testRelayVars(upstream.url) });
  onCleanup(() => relay.stop());

  const samples = new Map<string, Sample[]>(PATHS.map((p) => [p.label, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const { label, path, auth } of PATHS) {
      await relay.restart();
      const before = workerdCpuMs(relay);
      const firstMs = await call(relay, path, auth);
      const firstCpuMs = workerdCpuMs(relay) - before;
      const warm = await warmCalls(relay, path, auth, WARM);
      const healthz = await warmCalls(relay, "/healthz", false, WARM);
      samples.get(label)?.push({
        firstMs,
        firstCpuMs,
        warmMs: warm.ms,
        warmCpuMs: warm.cpuMs,
        healthzMs: healthz.ms,
        healthzCpuMs: healthz.cpuMs,
      });
      console.log(
        `  round ${round + 1} ${label.padEnd(20)} first ${fmt(firstMs)} ms (CPU ${fmt(firstCpuMs, 0)} ms), warm ${fmt(warm.ms)} ms ` +
          `(CPU ${fmt(warm.cpuMs)} ms), /healthz ${fmt(healthz.ms)} ms  load ${loadAverage()}`,
      );
    }
  }

  const med = (values: number[]): number => percentile(values, 50);
  const range = (values: number[], digits = 1): string =>
    `${fmt(med(values), digits)} [${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)}]`;
  printHeading("First call vs warm, fresh isolate per path (median [min–max] over the rounds)");
  const rows = PATHS.map(({ label }) => {
    const s = samples.get(label) ?? [];
    const first = s.map((x) => x.firstMs);
    const warm = s.map((x) => x.warmMs);
    const healthz = s.map((x) => x.healthzMs);
    return [
      label,
      range(first),
      range(
        s.map((x) => x.firstCpuMs),
        0,
      ),
      range(warm),
      range(s.map((x) => x.warmCpuMs)),
      range(healthz),
      fmt(med(first) / med(healthz), 1),
      fmt(med(warm) / med(healthz), 1),
    ];
  });
  printTable(
    [
      "path",
      "first ms",
      "first CPU ms",
      "warm ms",
      "warm CPU ms",
      "/healthz warm ms",
      "first / healthz",
      "warm / healthz",
    ],
    rows,
  );
  console.log(
    "CPU: workerd's /proc ticks (10 ms each); the first /healthz of each isolate is the readiness check's, so its row's 'first' is its second call.",
  );
  console.log(`load average at the end: ${loadAverage()}`);
});
