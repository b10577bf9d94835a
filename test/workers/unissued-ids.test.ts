/**
 * Ids the relay did not issue never reach storage (contract §3
 * "Identifiers"): made-up, malformed and tampered ids, with a key or with a
 * signed query, on every `{id}` route, answer 404 and leave the Durable
 * Object namespace exactly as it was.
 */
import { listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newGenerationId } from "../../src/lib/ids.ts";
import { call, create, uniquePrompt, unissuedId } from "./helpers.ts";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** `id` with the character at `index` replaced by another of the alphabet. */
function tamper(id: string, index: number): string {
  const current = id.charAt(index);
  const replacement = ALPHABET[(ALPHABET.indexOf(current) + 1) % ALPHABET.length] ?? "0";
  return `${id.slice(0, index)}${replacement}${id.slice(index + 1)}`;
}

/** Every route that takes a generation id, as (id) → request. */
const ID_ROUTES: [name: string, request: (id: string) => Promise<Response>][] = [
  ["GET /v1/generations/{id}", (id) => call(`/v1/generations/${id}`)],
  ["DELETE /v1/generations/{id}", (id) => call(`/v1/generations/${id}`, { method: "DELETE" })],
  ["GET …/events", (id) => call(`/v1/generations/${id}/events`)],
  ["GET …/stream", (id) => call(`/v1/generations/${id}/stream`)],
  ["POST …/webhook/redeliver", (id) => call(`/v1/generations/${id}/webhook/redeliver`, { method: "POST" })],
  ["GET …/video with a key", (id) => call(`/v1/generations/${id}/video`)],
  [
    "GET …/video with a signed query and no key",
    (id) => call(`/v1/generations/${id}/video?expires=4102444800&signature=${"A".repeat(43)}`, { as: null }),
  ],
  ["GET /v2/video/generations?generation_id=", (id) => call(`/v2/video/generations?generation_id=${id}`)],
  [
    "GET /v2/generate/video/alibaba/generation?generation_id=",
    (id) => call(`/v2/generate/video/alibaba/generation?generation_id=${id}`),
  ],
];

async function generationObjectCount(): Promise<number> {
  return (await listDurableObjectIds(env.GENERATION)).length;
}

describe("ids the relay did not issue", () => {
  it("answer 404 on every {id} route and create no Durable Object storage (100 requests)", async () => {
    // One real generation, so tampered copies of a real id are among the cases.
    const issued = (await create({ prompt: uniquePrompt() })).id;
    const before = await generationObjectCount();
    const key = await crypto.subtle.importKey(
      "raw",
      crypto.getRandomValues(new Uint8Array(32)),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const candidates: string[] = [];
    for (let i = 0; i < 4; i++) candidates.push(unissuedId()); // right shape, random MAC
    candidates.push(await newGenerationId(key)); // a MAC under another key
    candidates.push(tamper(issued, issued.length - 1)); // the MAC changed
    candidates.push(tamper(issued, 8)); // the time changed
    candidates.push(tamper(issued, 20)); // the random part changed
    candidates.push(issued.slice(0, -1)); // truncated
    candidates.push(`${issued}0`); // extended
    candidates.push("gen_not-an-id");

    let requests = 0;
    const answers = new Map<number, number>();
    while (requests < 100) {
      for (const id of candidates) {
        for (const [, request] of ID_ROUTES) {
          if (requests === 100) break;
          const response = await request(id);
          await response.body?.cancel();
          answers.set(response.status, (answers.get(response.status) ?? 0) + 1);
          requests++;
        }
      }
    }
    expect(Object.fromEntries(answers)).toEqual({ 404: 100 });
    expect(await generationObjectCount()).toBe(before);
  });

  it.each(ID_ROUTES)("%s: a tampered id is 404 while the real one is served", async (_name, request) => {
    const issued = (await create({ prompt: uniquePrompt() })).id;
    const before = await generationObjectCount();
    const response = await request(tamper(issued, issued.length - 3));
    expect(response.status).toBe(404);
    await response.body?.cancel();
    expect(await generationObjectCount()).toBe(before);
  });
});
