/**
 * The same local runtime as `wrangler dev` (wrangler's own dev server: its
 * bundling, Miniflare, workerd, local Durable Objects, alarms and R2) started
 * through wrangler's programmatic API with the developer tooling left out: no
 * inspector (wrangler dev always opens one, and its proxy takes every console
 * call over the DevTools protocol) and each log line written to stdout as it
 * comes, without wrangler's logger (its colouring, source mapping and debug
 * log file). For benchmarks that set what the tooling costs apart from what
 * the Worker costs (startRelay's `server: "lean"`); the relay's tests run
 * under `wrangler dev` itself.
 *
 *   node test/support/lean-dev-server.ts <config> <port> <persist dir> [NAME=value]…
 *
 * Prints `ready <url>` once the Worker answers, and stops on SIGTERM or SIGINT.
 */
import { unstable_startWorker } from "wrangler";
import { stopOnSignal } from "./stop-on-signal.ts";

const [config, port, persist, ...assignments] = process.argv.slice(2);
if (config === undefined || port === undefined || persist === undefined) {
  console.error("usage: node test/support/lean-dev-server.ts <config> <port> <persist dir> [NAME=value]…");
  process.exit(2);
}

const bindings: Record<string, { type: "plain_text"; value: string }> = {};
for (const assignment of assignments) {
  const at = assignment.indexOf("=");
  bindings[assignment.slice(0, at)] = { type: "plain_text", value: assignment.slice(at + 1) };
}

const worker = await unstable_startWorker({
  config,
  bindings,
  dev: {
    server: { hostname: "127.0.0.1", port: Number(port) },
    inspector: false,
    persist,
    watch: false,
    logLevel: "warn",
    structuredLogsHandler: ({ message }: { message: string }) => process.stdout.write(`${message}\n`),
  },
});
await worker.ready;
process.stdout.write(`ready ${(await worker.url).toString()}\n`);

stopOnSignal(() => worker.dispose());
