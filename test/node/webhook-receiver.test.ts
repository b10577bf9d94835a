/**
 * The scripted webhook receiver is itself test infrastructure: if it answers
 * the wrong status or records the wrong thing, every webhook delivery test
 * built on it lies. These checks pin its script vocabulary, its recording and
 * its Standard Webhooks verification.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Webhook } from "standardwebhooks";
import {
  startWebhookReceiver,
  REDIRECT_LOCATION,
  type Delivery,
  type WebhookReceiver,
} from "../support/webhook-receiver.ts";

const RECEIVER_FILE = fileURLToPath(new URL("../support/webhook-receiver.ts", import.meta.url));
// Decodes to 32 bytes, comfortably above the 24 the library insists on.
const SECRET = "whsec_" + Buffer.from("a".repeat(32)).toString("base64");
const BODY = JSON.stringify({
  type: "generation.completed",
  timestamp: "2025-01-01T00:00:00.000Z",
  data: { id: "gen_1", status: "completed", prompt: "un café ✓" },
});

let receiver: WebhookReceiver;
let counter = 0;

/** A /hook/ path no other test uses, so per-path script positions never collide. */
function hook(script?: string): string {
  counter++;
  const id = `t${counter}-${Math.random().toString(36).slice(2)}`;
  return script === undefined ? `/hook/${id}` : `/hook/${id}/${script}`;
}

function post(
  base: string,
  path: string,
  opts: { body?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Response> {
  return fetch(base + path, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...opts.headers },
    body: opts.body ?? BODY,
    redirect: "manual",
    signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
  });
}

function deliver(path: string, opts: { body?: string; headers?: Record<string, string>; timeoutMs?: number } = {}) {
  return post(receiver.url, path, opts);
}

async function statuses(path: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await deliver(path);
    await res.arrayBuffer();
    out.push(res.status);
  }
  return out;
}

function signedHeaders(secret: string, msgId: string, body: string, date = new Date()): Record<string, string> {
  return {
    "webhook-id": msgId,
    "webhook-timestamp": String(Math.floor(date.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(msgId, date, body),
  };
}

/** Resolves to the error a request failed with, or fails the test if it succeeded. */
async function failure(promise: Promise<Response>): Promise<Error> {
  try {
    const res = await promise;
    await res.arrayBuffer();
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`non-Error rejection: ${String(err)}`, { cause: err });
  }
  throw new Error("request unexpectedly succeeded");
}

beforeAll(async () => {
  receiver = await startWebhookReceiver();
});

afterAll(async () => {
  await receiver.close();
});

describe("webhook receiver: scripts", () => {
  it("answers 200 when the path has no script", async () => {
    expect(await statuses(hook(), 2)).toEqual([200, 200]);
    expect(await statuses(`${hook()}/`, 1)).toEqual([200]);
  });

  it("treats a last segment that is not a script as no script", async () => {
    expect(await statuses(hook("not-a-script"), 1)).toEqual([200]);
    expect(await statuses(hook("500,nope"), 1)).toEqual([200]);
  });

  it("plays a script in order, then repeats its last item", async () => {
    expect(await statuses(hook("500,500,200"), 5)).toEqual([500, 500, 200, 200, 200]);
    expect(await statuses(hook("410"), 3)).toEqual([410, 410, 410]);
  });

  it("keeps each path's position apart, even for the same script", async () => {
    const a = hook("503,200");
    const b = hook("503,200");
    expect(await statuses(a, 1)).toEqual([503]);
    expect(await statuses(b, 1)).toEqual([503]);
    expect(await statuses(a, 1)).toEqual([200]);
    expect(await statuses(b, 1)).toEqual([200]);
  });

  it("answers 204 with no body", async () => {
    const res = await deliver(hook("204"));
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
  });

  it("answers 302 with a Location elsewhere", async () => {
    const res = await deliver(hook("302"));
    await res.arrayBuffer();
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(REDIRECT_LOCATION);
  });

  it("adds Retry-After for NNN:S, and only then", async () => {
    const path = hook("429:2,503:7,429");
    const first = await deliver(path);
    await first.arrayBuffer();
    expect(first.status).toBe(429);
    expect(first.headers.get("retry-after")).toBe("2");
    const second = await deliver(path);
    await second.arrayBuffer();
    expect(second.status).toBe(503);
    expect(second.headers.get("retry-after")).toBe("7");
    const third = await deliver(path);
    await third.arrayBuffer();
    expect(third.status).toBe(429);
    expect(third.headers.get("retry-after")).toBeNull();
  });

  it("hangs until the client gives up, then answers the next item", async () => {
    const path = hook("hang,200");
    const started = Date.now();
    const err = await failure(deliver(path, { timeoutMs: 300 }));
    expect(err.name).toBe("TimeoutError");
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    const res = await deliver(path);
    await res.arrayBuffer();
    expect(res.status).toBe(200);
    expect(receiver.deliveries(path).map((d) => d.answeredStatus)).toEqual([null, 200]);
  });

  it("drops a hung request after hangMs", async () => {
    const short = await startWebhookReceiver({ hangMs: 200 });
    try {
      const started = Date.now();
      const err = await failure(post(short.url, hook("hang"), { timeoutMs: 5000 }));
      expect(err.name).not.toBe("TimeoutError");
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(150);
      expect(elapsed).toBeLessThan(4000);
    } finally {
      await short.close();
    }
  });

  it("cuts the connection, then answers the next item", async () => {
    const path = hook("cut,200");
    const err = await failure(deliver(path, { body: '{"x":1}' }));
    expect(err.name).toBe("TypeError"); // undici: "fetch failed"
    const res = await deliver(path);
    await res.arrayBuffer();
    expect(res.status).toBe(200);
    const recorded = receiver.deliveries(path);
    expect(recorded.map((d) => d.answeredStatus)).toEqual([null, 200]);
    expect(recorded[0]?.body).toBe('{"x":1}');
  });

  it("closes promptly while a request hangs", async () => {
    const other = await startWebhookReceiver();
    const pending = failure(post(other.url, hook("hang"), { timeoutMs: 5000 }));
    // Let the request arrive before closing.
    for (let i = 0; i < 50 && other.deliveries().length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await pending).name).not.toBe("TimeoutError");
  });
});

describe("webhook receiver: recording", () => {
  it("records path, time, lower-case headers, the full body and the answer", async () => {
    const path = hook("500,200");
    const before = Date.now();
    const big = JSON.stringify({ type: "generation.completed", pad: "x".repeat(200_000) });
    const res = await deliver(path, { body: big, headers: { "Webhook-Id": "msg_rec", "X-Custom": "yes" } });
    await res.arrayBuffer();
    const after = Date.now();
    const [d] = receiver.deliveries(path);
    expect(d).toBeDefined();
    if (d === undefined) return;
    expect(d.path).toBe(path);
    expect(d.at).toBeGreaterThanOrEqual(before);
    expect(d.at).toBeLessThanOrEqual(after);
    expect(d.headers["webhook-id"]).toBe("msg_rec");
    expect(d.headers["x-custom"]).toBe("yes");
    expect(d.headers["content-type"]).toBe("application/json");
    expect(Object.keys(d.headers).every((k) => k === k.toLowerCase())).toBe(true);
    expect(d.body).toBe(big);
    expect(d.answeredStatus).toBe(500);
    expect("verified" in d).toBe(false);
  });

  it("records deliveries to a path in order, ignoring the query", async () => {
    const path = hook("500,200");
    await (await deliver(`${path}?attempt=1`)).arrayBuffer();
    await (await deliver(path)).arrayBuffer();
    const recorded = receiver.deliveries(path);
    expect(recorded.map((d) => d.answeredStatus)).toEqual([500, 200]);
    expect(recorded[0]?.at).toBeLessThanOrEqual(recorded[1]?.at ?? 0);
  });

  it("returns copies, not live records", async () => {
    const path = hook();
    await (await deliver(path)).arrayBuffer();
    const first = receiver.deliveries(path);
    const d = first[0];
    if (d !== undefined) d.answeredStatus = 999;
    expect(receiver.deliveries(path)[0]?.answeredStatus).toBe(200);
  });

  it("serves deliveries over HTTP, filtered by path", async () => {
    const a = hook("410");
    const b = hook("200");
    await (await deliver(a, { body: "A" })).arrayBuffer();
    await (await deliver(b, { body: "B" })).arrayBuffer();
    const res = await fetch(`${receiver.url}/__deliveries?path=${encodeURIComponent(a)}`);
    expect(res.status).toBe(200);
    const only: Delivery[] = await res.json();
    expect(only).toHaveLength(1);
    expect(only[0]).toMatchObject({ path: a, body: "A", answeredStatus: 410 });
    const all: Delivery[] = await (await fetch(`${receiver.url}/__deliveries`)).json();
    expect(all.map((d) => d.path)).toEqual(expect.arrayContaining([a, b]));
    expect(all).toEqual(receiver.deliveries());
  });

  it("forgets deliveries and script positions on reset, over HTTP and in JS", async () => {
    const other = await startWebhookReceiver();
    try {
      const path = hook("500,200");
      const send = async (): Promise<number> => {
        const res = await post(other.url, path);
        await res.arrayBuffer();
        return res.status;
      };
      expect(await send()).toBe(500);
      expect(await send()).toBe(200);
      const reset = await fetch(`${other.url}/__reset`, { method: "POST" });
      expect(reset.status).toBe(200);
      expect(other.deliveries()).toEqual([]);
      expect(await send()).toBe(500);
      other.reset();
      expect(other.deliveries()).toEqual([]);
      expect(await send()).toBe(500);
    } finally {
      await other.close();
    }
  });

  it("answers 404 outside /hook/ and the control endpoints, without recording", async () => {
    const other = await startWebhookReceiver();
    try {
      const res = await fetch(`${other.url}/elsewhere`, { method: "POST", body: "x" });
      await res.arrayBuffer();
      expect(res.status).toBe(404);
      expect(other.deliveries()).toEqual([]);
    } finally {
      await other.close();
    }
  });
});

describe("webhook receiver: Standard Webhooks verification", () => {
  let signed: WebhookReceiver;

  beforeAll(async () => {
    signed = await startWebhookReceiver({ secret: SECRET });
  });

  afterAll(async () => {
    await signed.close();
  });

  it("marks a correctly signed delivery verified", async () => {
    const path = hook();
    const res = await post(signed.url, path, { headers: signedHeaders(SECRET, "msg_ok", BODY) });
    await res.arrayBuffer();
    expect(res.status).toBe(200);
    expect(signed.deliveries(path)[0]?.verified).toBe(true);
  });

  it("marks a tampered body, a wrong secret, a stale timestamp and missing headers unverified", async () => {
    const path = hook();
    const headers = signedHeaders(SECRET, "msg_tamper", BODY);
    const otherSecret = "whsec_" + Buffer.from("b".repeat(32)).toString("base64");
    const stale = new Date(Date.now() - 10 * 60 * 1000);
    const attempts: Array<{ body: string; headers: Record<string, string> }> = [
      { body: BODY.replace("gen_1", "gen_2"), headers },
      { body: BODY, headers: signedHeaders(otherSecret, "msg_other", BODY) },
      { body: BODY, headers: signedHeaders(SECRET, "msg_stale", BODY, stale) },
      { body: BODY, headers: {} },
    ];
    for (const attempt of attempts) await (await post(signed.url, path, attempt)).arrayBuffer();
    expect(signed.deliveries(path).map((d) => d.verified)).toEqual([false, false, false, false]);
  });

  it("verifies whatever the script answers, hung and cut deliveries included", async () => {
    const path = hook("cut,500,200");
    const headers = signedHeaders(SECRET, "msg_retry", BODY);
    await failure(post(signed.url, path, { headers }));
    await (await post(signed.url, path, { headers })).arrayBuffer();
    await (await post(signed.url, path, { headers })).arrayBuffer();
    const recorded = signed.deliveries(path);
    expect(recorded.map((d) => [d.answeredStatus, d.verified])).toEqual([
      [null, true],
      [500, true],
      [200, true],
    ]);
  });
});

describe("webhook receiver: command line", () => {
  it("prints its URL, then one verdict line per delivery", async () => {
    const child = spawn(process.execPath, [RECEIVER_FILE, "--port", "0", "--secret", SECRET], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const lines = (): string[] => out.split("\n").filter((l) => l !== "");
    const waitForLines = async (n: number): Promise<string[]> => {
      for (let i = 0; i < 500 && lines().length < n; i++) await new Promise((r) => setTimeout(r, 20));
      if (lines().length < n) throw new Error(`expected ${n} stdout lines, got:\n${out}\nstderr:\n${err}`);
      return lines();
    };
    try {
      const [url] = await waitForLines(1);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      if (url === undefined) return;
      const path = hook("500,500,200");
      const headers = signedHeaders(SECRET, "msg_cli", BODY);
      const got: number[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await post(url, path, { headers });
        await res.arrayBuffer();
        got.push(res.status);
      }
      await (await post(url, path, { body: BODY + " ", headers })).arrayBuffer();
      expect(got).toEqual([500, 500, 200]);
      const printed = (await waitForLines(5)).slice(1);
      expect(printed).toEqual([
        "verified generation.completed webhook-id=msg_cli attempt-status=500",
        "verified generation.completed webhook-id=msg_cli attempt-status=500",
        "verified generation.completed webhook-id=msg_cli attempt-status=200",
        "REJECTED (bad signature) generation.completed webhook-id=msg_cli attempt-status=200",
      ]);
    } finally {
      child.kill("SIGTERM");
    }
  });
});
