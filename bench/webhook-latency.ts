/**
 * How soon the `generation.completed` webhook reaches the receiver after the
 * generation is completed: receiver arrival time (`at` in /__deliveries, taken
 * when the request arrives) minus the generation's `completed_at`. Both clocks
 * are this machine's, so the difference is meaningful to about a millisecond;
 * workerd's clock only advances across I/O, so `completed_at` can be a little
 * early, which makes the latency read a little high, never low.
 *
 *   node bench/webhook-latency.ts [--n 10]
 *
 * N generations run concurrently, each with its own receiver path answering 200.
 */
import {
  deliveriesTo,
  fmt,
  numberOptions,
  percentile,
  printFigure,
  printHeading,
  printTable,
  runBench,
  runToCompletion,
  startBench,
  uniquePrompt,
} from "./lib.ts";

const options = numberOptions({ n: 10 });
const N = Math.max(1, Math.floor(options.n));

interface Sample {
  /** Delivery arrival minus completed_at. */
  latencyMs: number;
  /** Delivery arrival minus the create request's start: what a caller waits end to end. */
  endToEndMs: number;
  verified: boolean;
}

runBench("webhook-latency", 120_000, async () => {
  const bench = await startBench({ POLL_INTERVAL_SECONDS: "0.2" });
  console.log(
    `relay ${bench.relay.url}, receiver ${bench.receiver.url}; ${N} concurrent generations, POLL_INTERVAL_SECONDS 0.2`,
  );

  const samples = await Promise.all(
    Array.from({ length: N }, async (_, i): Promise<Sample> => {
      const path = `/hook/${crypto.randomUUID()}/200`;
      const started = Date.now();
      const done = await runToCompletion(bench.relay, {
        prompt: uniquePrompt(`webhook-${i}`),
        webhook_url: `${bench.receiver.url}${path}`,
      });
      // The default events are completed/failed/canceled, so the first delivery is the completion.
      const [delivery] = await deliveriesTo(bench.receiver, path, 1);
      if (delivery === undefined || done.completed_at === null)
        throw new Error(`${done.id}: no delivery or no completed_at`);
      return {
        latencyMs: delivery.at - Date.parse(done.completed_at),
        endToEndMs: delivery.at - started,
        verified: delivery.verified === true,
      };
    }),
  );

  printHeading("webhook latency (receiver arrival − completed_at)");
  const latency = samples.map((s) => s.latencyMs);
  const endToEnd = samples.map((s) => s.endToEndMs);
  printTable(
    ["ms", "p50", "p95", "max", "min"],
    [
      [
        "completed_at → webhook",
        fmt(percentile(latency, 50)),
        fmt(percentile(latency, 95)),
        fmt(Math.max(...latency)),
        fmt(Math.min(...latency)),
      ],
      [
        "create → webhook",
        fmt(percentile(endToEnd, 50)),
        fmt(percentile(endToEnd, 95)),
        fmt(Math.max(...endToEnd)),
        fmt(Math.min(...endToEnd)),
      ],
    ],
  );
  printFigure(
    "signatures verified",
    `${samples.filter((s) => s.verified).length}/${samples.length}`,
    "",
    "standardwebhooks, in the receiver",
  );
});
