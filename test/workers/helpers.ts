/**
 * Shared set-up for tests inside workerd: call the Worker through its real
 * fetch handler, and step a generation's alarms deterministically.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { expect, inject, vi } from "vitest";
import type { Generation } from "../../src/api/schemas.ts";
import type { GenerationState } from "../../src/generation/state.ts";
import type { GenerationObject } from "../../src/generation/object.ts";
import type { GenerationStore, Loaded } from "../../src/generation/store.ts";
import { TEST_CLIENT_KEYS } from "../support/constants.ts";

export const ORIGIN = "https://relay.example";
export type Client = keyof typeof TEST_CLIENT_KEYS;

export function call(path: string, init: RequestInit & { as?: Client | null } = {}): Promise<Response> {
  const { as = "alice", ...rest } = init;
  const headers = new Headers(rest.headers);
  if (as !== null && !headers.has("Authorization")) headers.set("Authorization", `Bearer ${TEST_CLIENT_KEYS[as]}`);
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, { ...rest, headers }));
}

export function postJson(
  path: string,
  body: unknown,
  init: RequestInit & { as?: Client | null } = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  return call(path, { ...init, method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
}

/** A prompt unique to the test, so the shared fake upstream keeps its scenario apart. */
export function uniquePrompt(directives = ""): string {
  return `A raccoon eats ice cream ${crypto.randomUUID()}${directives ? ` [[fake ${directives}]]` : ""}`;
}

export async function create(body: Record<string, unknown>, as: Client = "alice"): Promise<Generation> {
  const response = await postJson("/v1/generations", body, { as });
  expect(response.status, await response.clone().text()).toBe(202);
  return response.json<Generation>();
}

export const stubOf = (id: string) => env.GENERATION.getByName(id);

/** The object's private store, to read or reset what it holds in memory. */
export const storeOf = (instance: GenerationObject): GenerationStore =>
  (instance as unknown as { store: GenerationStore }).store;

/** The generation's row as written to its storage (not what the store holds in memory): state and revision. */
export function storedOf(id: string): Promise<Loaded | null> {
  return runInDurableObject(stubOf(id), async (_instance: GenerationObject, ctx) => {
    const row = ctx.storage.sql
      .exec<{ state: string; revision: number }>("SELECT state, revision FROM generation")
      .toArray()[0];
    return row ? { state: JSON.parse(row.state) as GenerationState, revision: row.revision } : null;
  });
}

export async function stateOf(id: string): Promise<GenerationState | null> {
  return (await storedOf(id))?.state ?? null;
}

/**
 * Rewrites a generation's stored state in place (a state a crash, an old
 * release or a long wait leaves behind), then has its store read the row
 * again: the store keeps the state it last wrote in memory and does not look
 * for edits made behind its back.
 */
export function editState(id: string, change: (state: GenerationState) => unknown): Promise<void> {
  return runInDurableObject(stubOf(id), (instance: GenerationObject, ctx) => {
    const row = ctx.storage.sql.exec<{ state: string }>("SELECT state FROM generation").one();
    ctx.storage.sql.exec(
      "UPDATE generation SET state = ?",
      JSON.stringify(change(JSON.parse(row.state) as GenerationState)),
    );
    storeOf(instance).reload();
  });
}

/**
 * Has the object remember its alarm as set for `at` (src/generation/object.ts
 * alarm() does the work due by the time its alarm was set for, or by now).
 */
export function rememberAlarmAt(instance: GenerationObject, at: number): void {
  (instance as unknown as { alarmSetFor: number }).alarmSetFor = at;
}

export function alarmOf(id: string): Promise<number | null> {
  return runInDurableObject(stubOf(id), (_instance: GenerationObject, ctx) => ctx.storage.getAlarm());
}

/** A step due within this is due now: its alarm fires by itself, and `settle` waits for it. */
const DUE_NOW_MS = 1_000;

/**
 * Whether the work that was due has been done, read from the persisted
 * state alone: no submission in flight and no step due now. A new
 * generation's first alarm is due at once and fires by itself; steps after it
 * are due a poll interval (30 s in this project) later, so tests step them.
 */
function settled(state: GenerationState | null): boolean {
  if (state === null || state.submit.inFlight) return false;
  return state.nextActionAt === null || state.nextActionAt > Date.now() + DUE_NOW_MS;
}

/** Waits until the work due now (the first alarm, a step made due at once) is done. */
export async function settle(id: string): Promise<void> {
  await vi.waitFor(
    async () => {
      if (!settled(await stateOf(id))) throw new Error("a step is still due or in flight");
    },
    { timeout: 20_000, interval: 20 },
  );
}

/**
 * Steps the generation's alarm until `done(state)` holds, at most `maxSteps`
 * times. Each step runs the alarm at once (runDurableObjectAlarm), and the
 * alarm performs the work it was set for.
 */
export async function stepUntil(
  id: string,
  done: (state: GenerationState) => boolean,
  maxSteps = 20,
): Promise<GenerationState> {
  await settle(id);
  for (let step = 0; step <= maxSteps; step++) {
    const state = await stateOf(id);
    if (state && done(state)) return state;
    await runDurableObjectAlarm(stubOf(id));
    await settle(id);
  }
  const last = await stateOf(id);
  throw new Error(
    `not done after ${maxSteps} alarms; status ${last?.status}, upstream ${JSON.stringify(last?.upstream)}`,
  );
}

export const isStatus =
  (...statuses: GenerationState["status"][]) =>
  (state: GenerationState): boolean =>
    statuses.includes(state.status);

export async function get(id: string, as: Client = "alice"): Promise<Generation> {
  const response = await call(`/v1/generations/${id}`, { as });
  expect(response.status).toBe(200);
  return response.json<Generation>();
}

export async function sha256Hex(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export interface UpstreamStats {
  submits: number;
  polls: number;
  downloads: number;
  submitsByPrompt: Record<string, number>;
  pollsByTask: Record<string, number>;
  downloadsByTask: Record<string, number>;
  /** The exact body each task was created with. */
  bodiesByTask: Record<string, unknown>;
  submitsByPath: Record<string, number>;
  lastAuthorization: string | null;
  lastDownloadAuthorization: string | null;
}

/** What the local fake upstream saw for one prompt (it runs in the test's Node process). */
export async function upstreamStats(filter: { prompt: string } | { task: string }): Promise<UpstreamStats> {
  const query =
    "prompt" in filter ? `prompt=${encodeURIComponent(filter.prompt)}` : `task=${encodeURIComponent(filter.task)}`;
  const response = await fetch(`${inject("upstreamUrl")}/__stats?${query}`);
  expect(response.status).toBe(200);
  return response.json<UpstreamStats>();
}

/** SHA-256 of a stream, hashed as it flows (never held whole). Rejects if the stream errors. */
export async function streamSha256(body: ReadableStream<Uint8Array>): Promise<{ sha256: string; bytes: number }> {
  const digest = new crypto.DigestStream("SHA-256");
  const writer = digest.getWriter();
  const reader = body.getReader();
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      await writer.write(value);
    }
  } catch (error) {
    digest.digest.catch(() => undefined);
    await writer.abort(error).catch(() => undefined);
    throw error;
  }
  await writer.close();
  const sha256 = [...new Uint8Array(await digest.digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return { sha256, bytes };
}

export async function timeline(
  id: string,
  as: Client = "alice",
): Promise<{ at: string; type: string; detail: Record<string, unknown> }[]> {
  const response = await call(`/v1/generations/${id}/events`, { as });
  expect(response.status).toBe(200);
  const body = await response.json<{ data: { at: string; type: string; detail: Record<string, unknown> }[] }>();
  return body.data;
}

export interface NativeErrorBody {
  error: { code: string; message: string; details?: { field: string; rule: string; message: string }[] };
}

/** Asserts the native error shape `{error: {code, message, details?}}` and returns it. */
export async function expectNativeError(
  response: Response,
  status: number,
  code: string,
): Promise<NativeErrorBody["error"]> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get("Content-Type") ?? "").toMatch(/^application\/json/);
  const body = JSON.parse(text) as NativeErrorBody;
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(body.error.message.length).toBeGreaterThan(0);
  if (body.error.details !== undefined) {
    expect(Array.isArray(body.error.details)).toBe(true);
    for (const detail of body.error.details) {
      expect(detail).toMatchObject({
        field: expect.any(String),
        rule: expect.any(String),
        message: expect.any(String),
      });
      // Only a budget refusal adds its figures.
      expect(Object.keys(detail).filter((key) => !["field", "rule", "message"].includes(key))).toEqual(
        code === "budget_exceeded" ? ["budget", "used", "resets_at"] : [],
      );
    }
  }
  return body.error;
}

/** Asserts the compatible paths' error shape `{message, statusCode}` (statusCode the status) and returns it. */
export async function expectCompatError(
  response: Response,
  status: number,
): Promise<{ message: string; statusCode: number }> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get("Content-Type") ?? "").toMatch(/^application\/json/);
  const body = JSON.parse(text) as { message: string; statusCode: number };
  expect(Object.keys(body).sort()).toEqual(["message", "statusCode"]);
  expect(body.statusCode).toBe(status);
  expect(typeof body.message).toBe("string");
  return body;
}

/** Waits until the generation's first alarm has finished its submission (or ended the generation). */
export async function waitForSubmission(id: string): Promise<void> {
  await vi.waitFor(
    async () => {
      const state = await stateOf(id);
      const terminal = state !== null && ["completed", "failed", "canceled"].includes(state.status);
      if (state === null || state.submit.inFlight || (state.submit.attempts === 0 && !terminal)) {
        throw new Error("the submission has not finished");
      }
    },
    { timeout: 20_000, interval: 20 },
  );
  await settle(id);
}

const ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** An id of the right shape that the relay never issued (its MAC part is random). */
export function unissuedId(): string {
  const chars = [...crypto.getRandomValues(new Uint8Array(42))].map((byte) => ID_ALPHABET[byte % 32] ?? "0");
  return `gen_${chars.join("")}`;
}
