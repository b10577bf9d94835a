/**
 * The per-client index: reconciliation of active rows with their generations.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newGenerationId } from "../../src/lib/ids.ts";
import { create, isStatus, stepUntil, uniquePrompt } from "./helpers.ts";

const reserve = (client: string, id: string, createdAt: number) =>
  env.CLIENT_INDEX.getByName(client).reserve({ id, createdAt, idempotencyKey: null, bodyHash: "h", maxActive: 10 });

describe("client index reconciliation", () => {
  it("releases a reserved row whose generation never started", async () => {
    const client = `never-started-${crypto.randomUUID()}`;
    const index = env.CLIENT_INDEX.getByName(client);
    expect(await reserve(client, newGenerationId(), Date.now() - 120_000)).toEqual({ kind: "created" });
    expect(await reserve(client, newGenerationId(), Date.now())).toEqual({ kind: "created" });
    expect(await index.activeCount()).toBe(2);
    expect(await runDurableObjectAlarm(index)).toBe(true);
    // The old one is released; the fresh one may still be starting, so it stays.
    expect(await index.activeCount()).toBe(1);
  });

  it("applies a status update that was lost", async () => {
    const created = await create({ prompt: uniquePrompt("steps=completed") });
    await stepUntil(created.id, isStatus("completed"));
    const index = env.CLIENT_INDEX.getByName("alice");
    await index.setStatus(created.id, "generating");
    const before = await index.list({ limit: 100, cursor: null, status: "generating" });
    expect(before.ids).toContain(created.id);
    await runDurableObjectAlarm(index);
    const after = await index.list({ limit: 100, cursor: null, status: "completed" });
    expect(after.ids).toContain(created.id);
  });
});
