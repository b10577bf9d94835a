/**
 * A real local HTTP server that plays webhook receivers with scripted
 * behaviours, so the relay's webhook delivery (docs/api.md#webhooks) is tested
 * against sockets and status codes rather than a mock.
 *
 * Written with erasable TypeScript only, so Node 22 runs it directly:
 *   node test/support/webhook-receiver.ts --port 8791 [--secret whsec_...]
 *
 * Behaviour is chosen by the URL path, so tests sharing one server in parallel
 * never disturb each other:
 *
 *   POST /hook/<anything-unique>/<script>
 *
 * `<script>` is a comma-separated list of answers to successive deliveries to
 * that exact path, the last one repeating. Items:
 *   NNN     answer that status (302 and other 3xx carry
 *           `Location: https://example.com/elsewhere`)
 *   NNN:S   the same, with `Retry-After: S`
 *   hang    never answer: hold until the client gives up or hangMs passes,
 *           then drop the socket
 *   cut     destroy the socket once the body is read
 * A last segment that is not a valid script (or no segment at all) means `200`.
 * Examples: /hook/t1/500,500,200  /hook/t2/410  /hook/t3/hang,200  /hook/t4/429:2,200
 *
 * Every request under /hook/ is recorded as a Delivery (its full body is read
 * first, then it is answered). For tests running in another process (workerd):
 *   GET  /__deliveries?path=<urlencoded path>  JSON array of Delivery (all when no path)
 *   POST /__reset                              forgets deliveries and script positions
 */
import http from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { Webhook } from "standardwebhooks";
import { stopOnSignal } from "./stop-on-signal.ts";

export const REDIRECT_LOCATION = "https://example.com/elsewhere";

export interface Delivery {
  /** URL path without the query, e.g. /hook/t1/500,200. */
  path: string;
  /** When the request arrived, ms since the epoch. */
  at: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
  /** null when the request was hung or cut (or is still hanging). */
  answeredStatus: number | null;
  /** Only when the receiver has a secret: did `standardwebhooks` accept the delivery? */
  verified?: boolean;
  /** The labels of `verifyAlsoWith` whose secret accepted the delivery (only when that option is given). */
  verifiedWith?: string[];
}

export interface WebhookReceiver {
  /** Origin, e.g. http://127.0.0.1:PORT (no trailing slash). */
  url: string;
  /** Copies of the recorded deliveries, oldest first; only those to `path` when given. */
  deliveries(path?: string): Delivery[];
  close(): Promise<void>;
  /** Forgets deliveries and every path's position in its script. */
  reset(): void;
}

export interface WebhookReceiverOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** How long `hang` holds a request before dropping the socket. Default 60 000. */
  hangMs?: number;
  /** A `whsec_...` secret: verify every delivery with the `standardwebhooks` package. */
  secret?: string;
  /** More secrets by label, each tried on every delivery; the ones that verify are in `verifiedWith`. */
  verifyAlsoWith?: Record<string, string>;
  /** Called with one human-readable line per delivery (the command line prints them). */
  log?: (line: string) => void;
}

export type Answer = { kind: "status"; status: number; retryAfter: string | null } | { kind: "hang" } | { kind: "cut" };

const DEFAULT_ANSWER: Answer = { kind: "status", status: 200, retryAfter: null };

/** Parses one script segment; null when it is not a valid script (then the default applies). */
export function parseScript(segment: string): Answer[] | null {
  let text = segment;
  try {
    text = decodeURIComponent(segment);
  } catch {
    // keep raw
  }
  if (text.trim() === "") return null;
  const answers: Answer[] = [];
  for (const raw of text.split(",")) {
    const token = raw.trim().toLowerCase();
    if (token === "hang" || token === "cut") {
      answers.push({ kind: token });
      continue;
    }
    const m = /^([1-5]\d\d)(?::(\d+(?:\.\d+)?))?$/.exec(token);
    if (m === null) return null;
    const status = Number(m[1]);
    // Node refuses to send 1xx as a final answer.
    if (status < 200) return null;
    answers.push({ kind: "status", status, retryAfter: m[2] ?? null });
  }
  return answers;
}

/** The script of a /hook/ path: the segment after /hook/<id>/. */
export function scriptForPath(path: string): Answer[] {
  const segments = path.split("/").slice(2); // ["", "hook", ...]
  if (segments.length < 2) return [DEFAULT_ANSWER];
  const last = segments[segments.length - 1] ?? "";
  return parseScript(last) ?? [DEFAULT_ANSWER];
}

function isHookPath(path: string): boolean {
  return path === "/hook" || path.startsWith("/hook/");
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (chunk: Buffer) => parts.push(chunk));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

function verifyReason(err: unknown): string {
  if (!(err instanceof Error)) return "error";
  switch (err.message) {
    case "No matching signature found":
      return "bad signature";
    case "Missing required headers":
      return "missing headers";
    case "Message timestamp too old":
      return "timestamp too old";
    case "Message timestamp too new":
      return "timestamp too new";
    case "Invalid Signature Headers":
      return "bad timestamp";
    default:
      return err.message;
  }
}

function eventType(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === "object" && parsed !== null && "type" in parsed && typeof parsed.type === "string")
      return parsed.type;
  } catch {
    // not JSON
  }
  return "(no type)";
}

// ---------------------------------------------------------------------------

function accepts(webhook: Webhook, body: string, headers: Record<string, string>): boolean {
  try {
    webhook.verify(body, headers, { jsonParse: false });
    return true;
  } catch {
    return false;
  }
}

export async function startWebhookReceiver(opts: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
  const host = opts.host ?? "127.0.0.1";
  const hangMs = opts.hangMs ?? 60_000;
  const verifier = opts.secret === undefined ? null : new Webhook(opts.secret);
  const others = Object.entries(opts.verifyAlsoWith ?? {}).map(
    ([label, secret]) => [label, new Webhook(secret)] as const,
  );
  const log = opts.log;

  let deliveries: Delivery[] = [];
  let attempts = new Map<string, number>();
  // Pending hang timers, so close() never waits on them.
  const timers = new Set<NodeJS.Timeout>();

  function reset(): void {
    deliveries = [];
    attempts = new Map();
  }

  function snapshot(path?: string): Delivery[] {
    return deliveries
      .filter((d) => path === undefined || d.path === path)
      .map((d) => ({ ...d, headers: { ...d.headers } }));
  }

  /** Why verification failed, for the log line only (Delivery keeps just the verdict). */
  const rejectReasons = new WeakMap<Delivery, string>();

  function report(delivery: Delivery, outcome: string): void {
    if (log === undefined) return;
    const id = delivery.headers["webhook-id"] ?? "(none)";
    const tail = `${eventType(delivery.body)} webhook-id=${id} attempt-status=${outcome}`;
    if (delivery.verified === undefined) log(`received ${tail} path=${delivery.path}`);
    else if (delivery.verified) log(`verified ${tail}`);
    else log(`REJECTED (${rejectReasons.get(delivery) ?? "bad signature"}) ${tail}`);
  }

  async function handleHook(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const at = Date.now();
    const body = await readBody(req);
    const n = attempts.get(path) ?? 0;
    attempts.set(path, n + 1);
    const script = scriptForPath(path);
    const answer = script[Math.min(n, script.length - 1)] ?? DEFAULT_ANSWER;

    const delivery: Delivery = { path, at, headers: flattenHeaders(req), body, answeredStatus: null };
    if (verifier !== null) {
      try {
        verifier.verify(body, delivery.headers, { jsonParse: false });
        delivery.verified = true;
      } catch (err) {
        delivery.verified = false;
        rejectReasons.set(delivery, verifyReason(err));
      }
    }
    if (others.length > 0) {
      delivery.verifiedWith = others.filter(([, webhook]) => accepts(webhook, body, delivery.headers)).map(([l]) => l);
    }
    deliveries.push(delivery);

    if (answer.kind === "cut") {
      report(delivery, "cut");
      req.socket.destroy();
      return;
    }
    if (answer.kind === "hang") {
      report(delivery, "hang");
      const t = setTimeout(() => {
        timers.delete(t);
        req.socket.destroy();
      }, hangMs);
      timers.add(t);
      res.once("close", () => {
        clearTimeout(t);
        timers.delete(t);
      });
      return;
    }
    const headers: Record<string, string> = {};
    if (answer.retryAfter !== null) headers["Retry-After"] = answer.retryAfter;
    if (answer.status >= 300 && answer.status < 400) headers["Location"] = REDIRECT_LOCATION;
    delivery.answeredStatus = answer.status;
    report(delivery, String(answer.status));
    if (answer.status === 204 || answer.status === 304) {
      res.writeHead(answer.status, headers);
      res.end();
      return;
    }
    const ok = answer.status >= 200 && answer.status < 300;
    sendJson(res, answer.status, ok ? { received: true } : { error: `scripted ${answer.status}` }, headers);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://receiver.invalid");
    const path = url.pathname;
    const method = req.method ?? "GET";
    if (isHookPath(path)) return handleHook(req, res, path);
    if (path === "/__deliveries" && method === "GET") {
      const only = url.searchParams.get("path");
      return sendJson(res, 200, snapshot(only ?? undefined));
    }
    if (path === "/__reset" && method === "POST") {
      reset();
      return sendJson(res, 200, { ok: true });
    }
    return sendJson(res, 404, { error: `Cannot ${method} ${path}` });
  }

  const httpServer = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A bug in the receiver must show up as a loud 500, never crash the test process.
      console.error("webhook-receiver: handler error", err);
      if (!res.headersSent) sendJson(res, 500, { error: "webhook-receiver internal error" });
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(opts.port ?? 0, host, () => {
      httpServer.off("error", reject);
      resolve();
    });
  });
  const address: AddressInfo | string | null = httpServer.address();
  if (address === null || typeof address === "string") throw new Error("webhook-receiver: not listening on TCP");
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const baseUrl = `http://${urlHost}:${address.port}`;

  return {
    url: baseUrl,
    deliveries: (path) => snapshot(path),
    reset,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        httpServer.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive and hanging sockets would otherwise hold close() open.
        httpServer.closeAllConnections();
      }),
  };
}

// ---------------------------------------------------------------------------
// Command line: node test/support/webhook-receiver.ts [--port 8791] [--host H] [--secret whsec_...] [--hang-ms MS]

function isMain(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return pathToFileURL(realpathSync(entry)).href === import.meta.url;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(
      "usage: node test/support/webhook-receiver.ts [--port 8791] [--host 127.0.0.1] [--secret whsec_...] [--hang-ms 60000]\n",
    );
    return;
  }
  const hangArg = opt("hang-ms");
  const secret = opt("secret");
  const server = await startWebhookReceiver({
    port: Number(opt("port") ?? "8791"),
    host: opt("host") ?? "127.0.0.1",
    hangMs: hangArg === undefined ? undefined : Number(hangArg),
    secret,
    // With a secret, the verdicts are the point (stdout); without one, a trace for humans (stderr).
    log: (line) => (secret === undefined ? process.stderr : process.stdout).write(`${line}\n`),
  });
  // The URL alone on the first stdout line so scripts can read it; the rest is for humans.
  process.stdout.write(`${server.url}\n`);
  process.stderr.write(
    `webhook receiver listening on ${server.url} (POST ${server.url}/hook/<id>/500,500,200; deliveries: ${server.url}/__deliveries)\n`,
  );
  stopOnSignal(() => server.close());
}

if (isMain()) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
