/**
 * Checks shared by the purge and retention tests: a deleted generation is
 * gone from every route, from R2, from its client's index and from its own
 * Durable Object storage.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { ClientIndexObject } from "../../src/client-index/object.ts";
import { GenerationObject } from "../../src/generation/object.ts";
import type { GenerationState } from "../../src/generation/state.ts";
import { call, stubOf, type Client } from "./helpers.ts";

/** Every route that takes a generation id, as (id) → request. */
export function idRoutes(signedVideoUrl: string | null): [name: string, request: (id: string) => Promise<Response>][] {
  const routes: [string, (id: string) => Promise<Response>][] = [
    ["GET /v1/generations/{id}", (id) => call(`/v1/generations/${id}`)],
    ["DELETE /v1/generations/{id}", (id) => call(`/v1/generations/${id}`, { method: "DELETE" })],
    ["DELETE /v1/generations/{id}?purge=true", (id) => call(`/v1/generations/${id}?purge=true`, { method: "DELETE" })],
    ["GET …/events", (id) => call(`/v1/generations/${id}/events`)],
    ["GET …/stream", (id) => call(`/v1/generations/${id}/stream`)],
    ["POST …/webhook/redeliver", (id) => call(`/v1/generations/${id}/webhook/redeliver`, { method: "POST" })],
    ["GET …/video with a key", (id) => call(`/v1/generations/${id}/video`)],
    ["GET /v2/video/generations?generation_id=", (id) => call(`/v2/video/generations?generation_id=${id}`)],
    [
      "GET /v2/generate/video/alibaba/generation?generation_id=",
      (id) => call(`/v2/generate/video/alibaba/generation?generation_id=${id}`),
    ],
  ];
  if (signedVideoUrl !== null) {
    // The link handed out before the deletion: its signature still verifies, the generation is gone.
    const { pathname, search } = new URL(signedVideoUrl);
    routes.push(["GET …/video with its signed link", () => call(`${pathname}${search}`, { as: null })]);
  }
  return routes;
}

/** What the generation's Durable Object holds: SQLite tables, KV keys, an alarm, the database's size. */
export function storageOf(
  id: string,
): Promise<{ tables: string[]; keys: number; alarm: number | null; bytes: number }> {
  return runInDurableObject(stubOf(id), async (_instance: GenerationObject, ctx) => ({
    tables: ctx.storage.sql
      .exec<{ name: string }>(`SELECT name FROM sqlite_master`)
      .toArray()
      .map((row) => row.name),
    keys: (await ctx.storage.list()).size,
    alarm: await ctx.storage.getAlarm(),
    bytes: ctx.storage.sql.databaseSize,
  }));
}

/** The client index's row of the generation, read from its table. */
export function indexRowOf(id: string, client: Client | string = "alice"): Promise<{ status: string } | null> {
  return runInDurableObject(env.CLIENT_INDEX.getByName(client), (_instance: ClientIndexObject, ctx) => {
    const row = ctx.storage.sql.exec<{ status: string }>(`SELECT status FROM entries WHERE id = ?`, id).toArray()[0];
    return row ?? null;
  });
}

/**
 * The generation is gone: 404 on every route, nothing in R2 under its video
 * key or its inputs prefix, no index row, and its Durable Object holds no
 * table, key or alarm, before and after all those requests and the same
 * calls on a fresh instance of it (a request for a deleted id must not
 * create storage again).
 *
 * (The vitest pool's `listDurableObjectIds` cannot show this: the local
 * runtime keeps a database file for every object that was ever instantiated,
 * even one that never wrote, so the object's own storage is inspected.)
 */
export async function expectGone(
  id: string,
  options: { signedVideoUrl: string | null; client?: Client | string },
): Promise<void> {
  const before = await storageOf(id);
  expect(before).toMatchObject({ tables: [], keys: 0, alarm: null });
  await expectGoneForItsClient(id, options);
  await expectFreshInstanceFindsNothing(id, options.client ?? "alice", { alarm: true });
  expect(await storageOf(id)).toEqual(before);
}

/**
 * What a purged generation leaves while the upstream task it started still
 * runs: to its client it is gone already (every route 404, nothing in R2, no
 * index row), and its object keeps only the accounting of that task: one
 * state row without the client's data (no prompt, inputs, metadata, webhook,
 * video, timeline), polled until the task ends.
 */
export async function expectGoneButTaskAccounted(
  id: string,
  options: { signedVideoUrl: string | null; client?: Client | string },
): Promise<void> {
  await expectGoneForItsClient(id, options);
  await expectFreshInstanceFindsNothing(id, options.client ?? "alice", { alarm: false });
  const kept = await runInDurableObject(stubOf(id), (_instance: GenerationObject, ctx) => {
    const count = (table: string) => ctx.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${table}`).one().n;
    const row = ctx.storage.sql.exec<{ state: string }>(`SELECT state FROM generation`).one();
    return { state: JSON.parse(row.state) as GenerationState, events: count("events"), snapshots: count("snapshots") };
  });
  expect(kept.events).toBe(0);
  expect(kept.snapshots).toBe(0);
  expect(kept.state).toMatchObject({ input: {}, metadata: {}, webhook: null, video: null, inlineMedia: [] });
  expect(kept.state.erasing).toMatchObject({ reason: "purged", outside: true });
  expect(kept.state.upstream.task).toBe("running");
}

async function expectGoneForItsClient(
  id: string,
  options: { signedVideoUrl: string | null; client?: Client | string },
): Promise<void> {
  for (const [name, request] of idRoutes(options.signedVideoUrl)) {
    const response = await request(id);
    expect(response.status, `${name}: ${await response.text()}`).toBe(404);
  }
  expect(await env.VIDEOS.head(`videos/${id}.mp4`)).toBeNull();
  expect((await env.VIDEOS.list({ prefix: `inputs/${id}/` })).objects).toEqual([]);
  expect(await indexRowOf(id, options.client ?? "alice")).toBeNull();
}

/**
 * A new instance of the object (as the runtime makes after evicting one) on
 * the same storage: its constructor and every RPC method find nothing and
 * write nothing. (`evictDurableObject` itself cannot be used here: it waits
 * for work that a stepped alarm never finishes.)
 */
async function expectFreshInstanceFindsNothing(id: string, client: string, options: { alarm: boolean }): Promise<void> {
  await runInDurableObject(stubOf(id), async (_instance: GenerationObject, ctx) => {
    const fresh = new GenerationObject(ctx, env);
    expect(await fresh.get(client)).toBeNull();
    expect(await fresh.probe()).toBeNull();
    expect(await fresh.events(client, { limit: 10, cursor: null })).toBeNull();
    expect(await fresh.watch(client, 0)).toBeNull();
    expect(await fresh.videoAccess({ verifiedLink: true })).toEqual({ kind: "not_found" });
    expect(await fresh.cancel(client)).toEqual({ kind: "not_found" });
    expect(await fresh.purge(client)).toEqual({ kind: "not_found" });
    expect(await fresh.redeliverWebhook(client)).toEqual({ kind: "not_found" });
    if (options.alarm) await fresh.alarm();
  });
}
