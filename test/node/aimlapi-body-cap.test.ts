/**
 * The AI/ML API adapter reads JSON answers with a size cap: against a real
 * local HTTP server that answers with bodies far larger than any status
 * answer, the client stops reading at MAX_JSON_BODY_BYTES and drops the rest.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAimlapiClient, MAX_JSON_BODY_BYTES } from "../../src/upstream/aimlapi/client.ts";

const HUGE_BYTES = 64 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, " ");

/** What the server managed to write for each request before the client hung up. */
const written = new Map<string, number>();
let server: http.Server;
let baseUrl: string;

/** Streams `{"id":..., "status":"generating", "pad":"<spaces>"}` padded to `total` bytes. */
async function sendPadded(req: http.IncomingMessage, res: http.ServerResponse, status: number, total: number) {
  const head = Buffer.from(`{"id":"task-1:alibaba/wan2.5-t2v-preview","status":"generating","pad":"`);
  const tail = Buffer.from(`"}`);
  const declare = (req.url ?? "").includes("/declared/");
  res.writeHead(status, {
    "Content-Type": "application/json",
    ...(declare ? { "Content-Length": String(total) } : {}),
  });
  const key = `${req.method} ${req.url}`;
  let sent = 0;
  const write = (chunk: Buffer) =>
    new Promise<boolean>((resolve) => {
      if (res.destroyed) return resolve(false);
      sent += chunk.byteLength;
      written.set(key, sent);
      if (res.write(chunk)) return resolve(true);
      const settle = (ok: boolean) => () => {
        res.off("drain", onDrain);
        res.off("close", onClose);
        resolve(ok);
      };
      const onDrain = settle(true);
      const onClose = settle(false);
      res.once("drain", onDrain);
      res.once("close", onClose);
    });
  if (!(await write(head))) return;
  let padding = total - head.byteLength - tail.byteLength;
  while (padding > 0) {
    const chunk = CHUNK.subarray(0, Math.min(CHUNK.byteLength, padding));
    if (!(await write(chunk))) return;
    padding -= chunk.byteLength;
  }
  if (await write(tail)) res.end();
}

beforeAll(async () => {
  // The path's first segments say what to send: /size/<bytes>[/declared]/v2/...
  server = http.createServer((req, res) => {
    const size = Number(/^\/size\/(\d+)\//.exec(req.url ?? "")?.[1] ?? HUGE_BYTES);
    req.resume();
    req.on("end", () => void sendPadded(req, res, req.method === "POST" ? 201 : 200, size));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A client of an upstream that answers with `bytes` of JSON (announced in Content-Length if `declared`). */
const client = (bytes: number, declared = false) =>
  createAimlapiClient({ baseUrl: `${baseUrl}/size/${bytes}${declared ? "/declared" : ""}`, apiKey: "k" });

describe("upstream JSON answers are read with a size cap", () => {
  it("polls again later, without reading it all, when a status answer is endless", async () => {
    const outcome = await client(HUGE_BYTES).poll("task-1");
    expect(outcome).toEqual({ kind: "retryable", reason: `answer over ${MAX_JSON_BODY_BYTES} bytes` });
    const sent = [...written.entries()].find(([key]) => key.startsWith(`GET /size/${HUGE_BYTES}/v2`));
    expect(sent?.[1]).toBeLessThan(HUGE_BYTES / 4);
  });

  it("refuses a declared Content-Length over the cap before reading a byte of it", async () => {
    const outcome = await client(HUGE_BYTES, true).poll("task-1");
    expect(outcome).toEqual({ kind: "retryable", reason: `answer over ${MAX_JSON_BODY_BYTES} bytes` });
  });

  it("is uncertain about a submission answered 2xx with an endless body (the task may exist)", async () => {
    const outcome = await client(HUGE_BYTES).submit({ model: "alibaba/wan2.5-t2v-preview", prompt: "x" });
    expect(outcome).toEqual({ kind: "uncertain", reason: `HTTP 201 with an answer over ${MAX_JSON_BODY_BYTES} bytes` });
  });

  it("reads an answer just under the cap", async () => {
    const outcome = await client(MAX_JSON_BODY_BYTES).poll("task-1");
    expect(outcome).toMatchObject({ kind: "status", state: "running", word: "generating" });
    expect((await client(MAX_JSON_BODY_BYTES + 1).poll("task-1")).kind).toBe("retryable");
  });
});
