/**
 * A property-based fuzz of every route (docs/api.md#errors), with a fixed
 * seed and a bounded number of runs: the routes are read from /openapi.json
 * (so a new route is fuzzed too), and each gets requests with fuzzed path,
 * query, headers and body (requests.ts). For every answer:
 *
 * - never a 5xx;
 * - a 4xx is in its surface's error shape: `{error: {code, message,
 *   details?}}` natively, `{message, statusCode}` under /v2/ (a 416 of the
 *   video is a range answer, with `Content-Range: bytes * /size` instead);
 * - nothing is created by a refused request: a create answered 2xx is
 *   purged at once, so at the end the fuzz client's list holds nothing but
 *   the known generation, and the upstream received no prompt of a refused
 *   create.
 *
 * The fuzz client is its own (TEST_FUZZ_CLIENT), so its list is the fuzz's
 * alone. DELETE runs last, so the other routes see the known generation.
 */
import { exports } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { Generation } from "../../../src/api/schemas.ts";
import { TEST_FUZZ_CLIENT } from "../../support/constants.ts";
import { call, isStatus, ORIGIN, postJson, stepUntil, uniquePrompt } from "../helpers.ts";
import {
  PROMPT,
  requestsFor,
  type FuzzContext,
  type FuzzRequest,
  type JsonSchema,
  type Operation,
} from "./requests.ts";

/** The fuzz's seed: the same requests on every run, so a failure replays. */
const FUZZ_SEED = 1_320_261;
/** Runs per operation: the native create route has the most to check; each compatible path shares its code. */
const runsFor = (operation: Operation): number =>
  !operation.hasBody ? 100 : operation.path.startsWith("/v2/") ? 200 : 1_000;

const auth = { Authorization: `Bearer ${TEST_FUZZ_CLIENT.key}` };

interface DocumentOperation {
  parameters?: { name: string; in: string }[];
  requestBody?: unknown;
}

/** Every operation of /openapi.json, DELETE last. */
async function operationsOfTheDocument(): Promise<Operation[]> {
  const response = await call("/openapi.json", { as: null });
  const document = await response.json<{ paths: Record<string, Record<string, DocumentOperation>> }>();
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const named = (where: string) => (operation.parameters ?? []).filter((p) => p.in === where).map((p) => p.name);
      operations.push({
        method,
        path,
        pathParams: named("path"),
        query: named("query"),
        headers: named("header"),
        hasBody: operation.requestBody !== undefined,
      });
    }
  }
  return operations.sort((a, b) => Number(a.method === "delete") - Number(b.method === "delete"));
}

const operations = await operationsOfTheDocument();

let context: FuzzContext;
const accepted = new Set<string>();
const refusedPrompts = new Set<string>();
const statuses = new Map<number, number>();
let requests = 0;
let startedAt = 0;

beforeAll(async () => {
  const models = await (
    await call("/v1/models", { headers: auth })
  ).json<{
    data: { id: string; inputs: JsonSchema }[];
  }>();
  const body = { prompt: uniquePrompt(), webhook_url: `${inject("receiverUrl")}/hook/fuzz/200` };
  const created = await (await postJson("/v1/generations", body, { headers: auth })).json<Generation>();
  await stepUntil(created.id, isStatus("completed"));
  const known = await (await call(`/v1/generations/${created.id}`, { headers: auth })).json<Generation>();
  const link = new URL(known.video?.url ?? `${ORIGIN}/`);
  context = {
    clientKey: TEST_FUZZ_CLIENT.key,
    knownId: known.id,
    knownExpires: link.searchParams.get("expires") ?? "",
    knownSignature: link.searchParams.get("signature") ?? "",
    models: models.data,
    receiverUrl: inject("receiverUrl"),
  };
  startedAt = Date.now();
}, 60_000);

function describeRequest(request: FuzzRequest): string {
  const body =
    request.body === null
      ? "no body"
      : typeof request.body === "string"
        ? `body ${JSON.stringify(request.body.slice(0, 300))}${request.body.length > 300 ? `… (${request.body.length} chars)` : ""}`
        : `${request.body.byteLength} bytes`;
  return `${request.method} ${request.target.slice(0, 300)} headers ${JSON.stringify(request.headers).slice(0, 300)} ${body}`;
}

/** The error shape of the answer's surface; throws naming what is wrong. */
function expectErrorShape(status: number, compat: boolean, text: string, where: string): void {
  const body: unknown = JSON.parse(text);
  const ok = compat ? isCompatError(body, status) : isNativeError(body);
  if (!ok)
    throw new Error(
      `${status} not in the ${compat ? "compatible" : "native"} error shape for ${where}: ${text.slice(0, 300)}`,
    );
}

function isNativeError(body: unknown): boolean {
  if (typeof body !== "object" || body === null || Object.keys(body).join() !== "error") return false;
  const error = (body as { error: unknown }).error;
  if (typeof error !== "object" || error === null) return false;
  const { code, message, details, ...rest } = error as Record<string, unknown>;
  const detailsOk =
    details === undefined ||
    (Array.isArray(details) &&
      details.every((d: unknown) => {
        if (typeof d !== "object" || d === null) return false;
        const { field, rule, message: text, ...more } = d as Record<string, unknown>;
        return (
          typeof field === "string" &&
          typeof rule === "string" &&
          typeof text === "string" &&
          Object.keys(more).length === 0
        );
      }));
  return (
    typeof code === "string" &&
    typeof message === "string" &&
    message !== "" &&
    detailsOk &&
    Object.keys(rest).length === 0
  );
}

function isCompatError(body: unknown, status: number): boolean {
  if (typeof body !== "object" || body === null) return false;
  const { message, statusCode, ...rest } = body as Record<string, unknown>;
  return typeof message === "string" && statusCode === status && Object.keys(rest).length === 0;
}

async function sendAndCheck(operation: Operation, request: FuzzRequest): Promise<void> {
  const prompt = uniquePrompt();
  const body = typeof request.body === "string" ? request.body.replaceAll(PROMPT, prompt) : request.body;
  const sent = new Request(`${ORIGIN}${request.target}`, {
    method: request.method,
    headers: new Headers(request.headers),
    body,
  });
  const response = await exports.default.fetch(sent);
  requests++;
  statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  const where = describeRequest(request);
  if (response.status >= 500) throw new Error(`${response.status} for ${where}: ${await response.text()}`);
  if (response.status >= 400) {
    if (operation.hasBody && typeof body === "string" && body.includes(prompt)) refusedPrompts.add(prompt);
    const text = await response.text();
    const range = /^bytes \*\/\d+$/.test(response.headers.get("Content-Range") ?? "");
    if (response.status === 416 && range) return;
    expectErrorShape(response.status, new URL(sent.url).pathname.startsWith("/v2/"), text, where);
    return;
  }
  if (operation.hasBody && response.status < 300 && operation.path !== "/v1/webhooks/test") {
    // Valid enough to create: counted, then purged at once, so the fuzz keeps
    // clear of the active limit and leaves nothing running.
    const { id } = await response.json<{ id: string }>();
    accepted.add(id);
    const purge = await call(`/v1/generations/${id}?purge=true`, { method: "DELETE", headers: auth });
    if (purge.status !== 200) throw new Error(`purging ${id}: ${purge.status} ${await purge.text()}`);
    return;
  }
  await response.body?.cancel();
}

describe("the fuzz of every route", () => {
  it("reads the routes from /openapi.json", () => {
    // The native routes, the universal compatible path and the vendor paths' one templated path.
    expect(operations.length).toBeGreaterThanOrEqual(20);
    expect(operations.some((o) => o.path === "/v2/generate/video/{vendor}/generation")).toBe(true);
    expect(operations.some((o) => o.method === "post" && o.path === "/v1/generations" && o.hasBody)).toBe(true);
  });

  it.each(operations.map((operation) => [`${operation.method.toUpperCase()} ${operation.path}`, operation] as const))(
    "%s: never a 5xx, every 4xx in its error shape",
    async (_name, operation) => {
      await fc.assert(
        fc.asyncProperty(requestsFor(operation, context), (request) => sendAndCheck(operation, request)),
        { seed: FUZZ_SEED, numRuns: runsFor(operation) },
      );
    },
    // A few seconds alone; more on a busy machine.
    120_000,
  );

  it("created nothing for a refused request: the list holds only the known generation, the upstream got no refused prompt", async () => {
    const listed: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await call(`/v1/generations?limit=100${cursor === null ? "" : `&cursor=${cursor}`}`, {
        headers: auth,
      });
      const page: { data: Generation[]; next_cursor: string | null } = await response.json();
      listed.push(...page.data.map((generation) => generation.id));
      cursor = page.next_cursor;
    } while (cursor !== null);
    // Every accepted create was purged as soon as it was answered; the known generation may have been.
    expect(listed.filter((id) => id !== context.knownId)).toEqual([]);
    expect(accepted.size).toBeGreaterThan(0);
    expect(refusedPrompts.size).toBeGreaterThan(100);
    const stats = await (
      await fetch(`${inject("upstreamUrl")}/__stats`)
    ).json<{ submitsByPrompt: Record<string, number> }>();
    const sent = Object.keys(stats.submitsByPrompt).filter((prompt) => refusedPrompts.has(prompt));
    expect(sent).toEqual([]);
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    const byStatus = [...statuses]
      .sort(([a], [b]) => a - b)
      .map(([status, n]) => `${status}×${n}`)
      .join(" ");
    console.log(
      `fuzz: ${requests} requests to ${operations.length} operations, seed ${FUZZ_SEED}, ${seconds} s; ${accepted.size} creates accepted; ${byStatus}`,
    );
  });
});
